fn main() -> Result<(), Box<dyn std::error::Error>> {
    hybrid_rpc_build::compile(&["hybrid/sync/v1/sync.proto", "hybrid/stream/v1/stream.proto"])
}
