// TEMPORARY until the numerics modules land (replaced before commit).
extension SelftestJob {
    func checkRandomNumbers(_ check: inout Check, _ context: RunContext) throws { check.failures.append("pending") }
    func checkLinearAlgebra(_ check: inout Check, _ context: RunContext) throws { check.failures.append("pending") }
    func checkFFT(_ check: inout Check, _ context: RunContext, shape: [Int]) throws { check.failures.append("pending") }
    func checkStorage(_ check: inout Check, _ context: RunContext) throws { check.failures.append("pending") }
}
