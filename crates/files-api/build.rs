fn main() -> Result<(), Box<dyn std::error::Error>> {
    hybrid_rpc_build::compile(&["hybrid/files/v1/files.proto"])
}
