use turret::{tool, Router};

struct Secret(String);

#[tool]
async fn reveal(secret: Secret) -> String {
    secret.0
}

fn main() {
    let _ = Router::new().register(reveal);
}
