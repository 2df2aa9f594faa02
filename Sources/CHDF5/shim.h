// Parallel HDF5. Its type and property-class ids are macros that call H5open()
// and read a global, and its flags carry H5CHECK, so Swift sees them through
// these inline functions.
#ifndef CASCADE_CHDF5_SHIM_H
#define CASCADE_CHDF5_SHIM_H
#include <mpi.h>
#include <hdf5.h>

static inline hid_t ch5_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t ch5_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t ch5_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t ch5_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t ch5_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t ch5_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t ch5_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t ch5_std_i64le(void) { return H5T_STD_I64LE; }
static inline hid_t ch5_c_s1(void) { return H5T_C_S1; }
static inline hid_t ch5_std_i32le(void) { return H5T_STD_I32LE; }
static inline size_t ch5_variable(void) { return H5T_VARIABLE; }
static inline hid_t ch5_p_group_create(void) { return H5P_GROUP_CREATE; }

static inline unsigned ch5_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned ch5_acc_excl(void) { return H5F_ACC_EXCL; }
static inline unsigned ch5_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned ch5_acc_rdwr(void) { return H5F_ACC_RDWR; }

static inline hid_t ch5_p_default(void) { return H5P_DEFAULT; }
static inline hid_t ch5_p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t ch5_p_file_create(void) { return H5P_FILE_CREATE; }
static inline hid_t ch5_p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t ch5_p_dataset_xfer(void) { return H5P_DATASET_XFER; }
static inline hid_t ch5_p_link_create(void) { return H5P_LINK_CREATE; }
static inline hid_t ch5_s_all(void) { return H5S_ALL; }
static inline hsize_t ch5_s_unlimited(void) { return H5S_UNLIMITED; }

/// Silences HDF5's automatic error-stack printing; Cascade reports errors itself.
static inline void ch5_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

/// The innermost message on HDF5's error stack, copied into buf (empty if none).
static herr_t ch5__walk(unsigned n, const H5E_error2_t *e, void *data) {
    char *buf = (char *)data;
    if (n == 0 && e && e->desc) { snprintf(buf, 512, "%s (in %s)", e->desc, e->func_name ? e->func_name : "?"); }
    return 0;
}
static inline void ch5_last_error(char *buf) {
    buf[0] = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, ch5__walk, buf);
}

#endif
