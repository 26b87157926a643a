//! The one matrix product the history needs, on the GEMM kernels the native encoder uses
//! (`gemm`): about three times matrixmultiply's speed (ndarray's `dot`) on this machine, which
//! is what makes exact search over millions of stored papers affordable.

/// `out = a · bᵀ` for row-major `a` (`n × k`), `b` (`m × k`) and `out` (`n × m`), on the
/// calling thread (callers parallelise over blocks).
pub(crate) fn matmul_nt(a: &[f32], b: &[f32], k: usize, out: &mut [f32]) {
    assert!(
        k > 0 && a.len().is_multiple_of(k) && b.len().is_multiple_of(k),
        "whole rows"
    );
    let (n, m) = (a.len() / k, b.len() / k);
    assert_eq!(out.len(), n * m, "output of n × m");
    if n == 0 || m == 0 {
        return;
    }
    // SAFETY: the asserts above make every element the strides address lie inside its
    // slice: a is n × k (row stride k, column stride 1), bᵀ is k × m read from b's rows
    // (row stride 1, column stride k), out is n × m (row stride m); `out` is borrowed
    // mutably, so it cannot alias `a` or `b`.
    unsafe {
        gemm::gemm(
            n,
            m,
            k,
            out.as_mut_ptr(),
            1,
            m as isize,
            false,
            a.as_ptr(),
            1,
            k as isize,
            b.as_ptr(),
            k as isize,
            1,
            0.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_plain_product() {
        let (n, m, k) = (5, 7, 13);
        let a: Vec<f32> = (0..n * k).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.11).cos()).collect();
        let mut out = vec![0.0; n * m];
        matmul_nt(&a, &b, k, &mut out);
        for i in 0..n {
            for j in 0..m {
                let want: f32 = (0..k).map(|t| a[i * k + t] * b[j * k + t]).sum();
                assert!((out[i * m + j] - want).abs() < 1e-5);
            }
        }
    }
}
