use turret::resource;

#[resource("test://template/{id}/data")]
async fn data(name: String) -> String {
    name
}

fn main() {}
