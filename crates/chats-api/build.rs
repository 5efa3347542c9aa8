fn main() -> Result<(), Box<dyn std::error::Error>> {
    hybrid_rpc_build::compile(&["hybrid/chats/v1/chats.proto"])
}
