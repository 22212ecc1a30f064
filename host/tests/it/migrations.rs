//! Migrations apply, revert and apply again on both backends.

use diesel::Connection;
use diesel::prelude::*;
use tessera::db::{AnyConnection, revert_all_migrations, run_migrations};

use crate::common::{Backend, fresh_postgres_database, postgres_admin_url};

fn table_count(conn: &mut AnyConnection, backend: Backend) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '__diesel_schema_migrations'"
        }
        Backend::Postgres => {
            "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'"
        }
    };
    diesel::sql_query(sql).get_result::<Count>(conn).unwrap().n
}

async fn migrations_go_up_down_and_up_again(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = match backend {
        Backend::Sqlite => dir.path().join("m.db").display().to_string(),
        Backend::Postgres => match postgres_admin_url() {
            Some(admin) => fresh_postgres_database(&admin),
            None => return,
        },
    };
    let mut conn = AnyConnection::establish(&url).unwrap();
    let applied = run_migrations(&mut conn).unwrap();
    assert!(!applied.is_empty());
    let tables = table_count(&mut conn, backend);
    assert!(tables >= 10, "{tables} tables");
    revert_all_migrations(&mut conn).unwrap();
    assert_eq!(table_count(&mut conn, backend), 0);
    run_migrations(&mut conn).unwrap();
    assert_eq!(table_count(&mut conn, backend), tables);
    assert!(
        run_migrations(&mut conn).unwrap().is_empty(),
        "a second run applies nothing"
    );
}

crate::on_both_backends!(migrations_go_up_down_and_up_again);
