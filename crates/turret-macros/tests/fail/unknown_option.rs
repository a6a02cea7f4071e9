use turret::tool;

#[tool(read_olny)]
async fn now() -> String {
    String::new()
}

fn main() {}
