fn main() -> Result<(), Box<dyn std::error::Error>> {
    hybrid_rpc_build::compile(&["hybrid/auth/v1/auth.proto"])
}
