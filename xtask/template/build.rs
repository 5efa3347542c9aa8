fn main() -> Result<(), Box<dyn std::error::Error>> {
    hybrid_rpc_build::compile(&["hybrid/{{name}}/v1/{{name}}.proto"])
}
