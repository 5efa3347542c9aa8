//! Compiles `proto/` with protox (pure Rust: no `protoc` on the build machine) into the tonic
//! servers and clients of `src/lib.rs`.

const PROTOS: [&str; 3] = [
    "hybrid/users/v1/users.proto",
    "hybrid/chats/v1/chats.proto",
    "hybrid/auth/v1/auth.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../proto");
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={root}/{proto}");
    }
    let descriptors = protox::compile(PROTOS, [root])?;
    tonic_prost_build::configure().compile_fds(descriptors)?;
    Ok(())
}
