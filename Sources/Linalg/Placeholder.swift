// Linear algebra: placeholder until filled.
