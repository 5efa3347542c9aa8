//! Called from the `build.rs` of a service's api crate: compiles the crate's `.proto` files
//! (under its own `proto/` folder) with protox, pure Rust, so the build machine needs no
//! `protoc`, into the tonic servers and clients the crate includes with
//! `tonic::include_proto!`.

/// Compiles `protos` (paths relative to the calling crate's `proto/` folder).
pub fn compile(protos: &[&str]) -> Result<(), Box<dyn std::error::Error>> {
    let root = format!("{}/proto", std::env::var("CARGO_MANIFEST_DIR")?);
    for proto in protos {
        println!("cargo:rerun-if-changed={root}/{proto}");
    }
    let descriptors = protox::compile(protos, [&root])?;
    tonic_prost_build::configure().compile_fds(descriptors)?;
    Ok(())
}
