fn main() -> Result<(), Box<dyn std::error::Error>> {
    hybrid_rpc_build::compile(&["hybrid/example/v1/example.proto"])
}
