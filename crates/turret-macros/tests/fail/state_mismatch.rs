use turret::{tool, Router, State};

#[derive(Clone)]
struct Db;

#[tool]
async fn query(State(_db): State<Db>, sql: String) -> String {
    sql
}

fn main() {
    let _ = Router::new().register(query);
}
