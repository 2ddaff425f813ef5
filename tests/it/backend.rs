//! CI builds the crate once per kernel path. Setting
//! `TINYLINEAR_EXPECT_BACKEND` makes this test fail unless the build really
//! compiled that path, so a CI job cannot quietly test the wrong one.

#[test]
fn backend_is_the_one_ci_expects() {
    match std::env::var("TINYLINEAR_EXPECT_BACKEND") {
        Ok(expected) => assert_eq!(tinylinear::BACKEND, expected, "this build compiled another kernel path"),
        Err(_) => assert!(
            ["avx512", "avx2+fma", "avx", "sse2", "neon", "simd128", "scalar"].contains(&tinylinear::BACKEND),
            "unknown backend name {:?}",
            tinylinear::BACKEND
        ),
    }
}
