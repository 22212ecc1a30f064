//! Issue 16: the audit log page reads in pages a person can read: 50 entries at a time with a
//! pager, and a long detail folded away behind "more".

use tessera::access::audit::{self, AuditEvent};

use crate::common::{Backend, TestApp};

async fn the_audit_log_pages_fifty_entries_at_a_time(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let root = app.admin("root@example.org").await;
    {
        let mut conn = app.state.db.get().unwrap();
        let now = tessera::time::now_millis();
        for i in 0..60 {
            audit::record(
                &mut conn,
                now + i,
                AuditEvent::new("system", "test.entry", format!("thing:{i}")),
            )
            .unwrap();
        }
        audit::record(
            &mut conn,
            now + 100,
            AuditEvent::new("system", "test.long", "thing:long")
                .detail(serde_json::json!({"note": format!("{}END", "word ".repeat(100))})),
        )
        .unwrap();
    }
    let page = app
        .page_html(&root, "/admin/audit?actor=system&action=test")
        .await;
    assert_eq!(page.matches("<td class=\"seq\">").count(), 50, "{page}");
    assert!(page.contains("Entries 1 to 50 of 61"), "{page}");
    assert!(page.contains(">Older entries</a>"), "{page}");
    // The newest, long one: its start shows, the rest folds.
    assert!(page.contains("<summary>more</summary>"), "{page}");
    let folded = page.split("<summary>more</summary>").nth(1).unwrap();
    assert!(
        folded.split("</details>").next().unwrap().ends_with("END"),
        "{page}"
    );

    let older = app
        .page_html(&root, "/admin/audit?actor=system&action=test&offset=50")
        .await;
    assert_eq!(older.matches("<td class=\"seq\">").count(), 11, "{older}");
    assert!(older.contains(">Newer entries</a>"), "{older}");
    assert!(!older.contains(">Older entries</a>"), "{older}");
}

/// Entries name what they concern in words: the dataset, the link, the group by their names, a
/// person by email; the id stays on hover.
async fn the_audit_log_names_what_it_concerns(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let root = app.admin("root@example.org").await;
    let ada = app.user("ada@example.org").await;
    let id = app
        .upload_dataset(&ada, "river gauges.csv", b"id,level\n1,2.5\n")
        .await;
    let link = app
        .make_link(
            &ada,
            &format!("/api/v1/datasets/{id}/links"),
            serde_json::json!({"level": "view", "name": "for the hydrologists"}),
        )
        .await;
    let group = app
        .post_json(
            &root,
            "/api/v1/groups",
            serde_json::json!({"name": "Gauge readers"}),
        )
        .await;
    let page = app.page_html(&root, "/admin/audit").await;
    assert!(
        page.contains(&format!(
            r#"<span title="dataset:{id}">dataset “river gauges”</span>"#
        )),
        "{page}"
    );
    let link_id = link["id"].as_str().unwrap();
    assert!(
        page.contains(&format!(
            r#"<span title="link:{link_id}">link “for the hydrologists”</span>"#
        )),
        "{page}"
    );
    let group_id = group["id"].as_str().unwrap();
    assert!(
        page.contains(&format!(
            r#"<span title="group:{group_id}">group “Gauge readers”</span>"#
        )),
        "{page}"
    );
    assert!(page.contains(">ada@example.org<"), "{page}");
}

crate::on_both_backends!(
    the_audit_log_pages_fifty_entries_at_a_time,
    the_audit_log_names_what_it_concerns,
);
