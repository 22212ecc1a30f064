//! The work a serving process does between requests: the export workers, and the sweeps that
//! expire export files, empty the trash of datasets kept past `trash_days`, destroy
//! self-destructing links, give back the download slots of
//! stopped servers and follow plugin changes made elsewhere; and the dispatcher that hands
//! each new event to its readers (rollups, notifications), with the sweep that removes raw
//! events past `activity_retention_days`.
//!
//! `tessera serve` starts it ([`start`]); building an [`AppState`] does not, so the command
//! line and tests that need no workers get none. Each loop only schedules: what it runs is the
//! domain's (`export::jobs`, `datasets`, `links`, `links::download`, the plugin registry). Every loop works
//! from the database, so any number of replicas can run them side by side.

use std::time::Duration;

use crate::state::AppState;

/// How often an idle export worker looks for a job.
pub const EXPORT_POLL_INTERVAL: Duration = Duration::from_millis(250);

/// How often export files past their expiry are removed.
pub const ARTIFACT_SWEEP_INTERVAL: Duration = Duration::from_secs(60);

/// How often datasets kept in the trash past `trash_days` are deleted for good; the trash
/// keeps days, so a few minutes late is no matter.
pub const TRASH_SWEEP_INTERVAL: Duration = Duration::from_secs(10 * 60);

/// How often expired self-destructing links are looked for.
pub const LINK_SWEEP_INTERVAL: Duration = Duration::from_secs(15);

/// How soon a plugin change made elsewhere reaches this process.
pub const PLUGIN_SYNC_INTERVAL: Duration = Duration::from_secs(2);

/// How often an idle dispatcher looks for new events.
pub const DISPATCH_POLL_INTERVAL: Duration = Duration::from_millis(500);

/// How often raw events past their retention and old visitor keys are removed.
pub const ACTIVITY_SWEEP_INTERVAL: Duration = Duration::from_secs(10 * 60);

/// Starts every loop on the current Tokio runtime.
pub fn start(state: &AppState) {
    for worker in 0..state.config.export_workers {
        spawn_export_worker(state.clone(), worker);
    }
    spawn_artifact_sweep(state.clone());
    spawn_trash_sweep(state.clone());
    spawn_link_sweep(state.clone());
    spawn_plugin_sync(state.clone());
    spawn_dispatcher(state.clone());
    spawn_delivery_worker(state.clone());
    spawn_activity_sweep(state.clone());
}

/// Hands new events to their readers, batch after batch while there are any.
fn spawn_dispatcher(state: AppState) {
    tokio::spawn(async move {
        loop {
            match state.db.run(crate::dispatch::run_once).await {
                Ok(n) if n as i64 == crate::dispatch::BATCH => continue,
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "cannot hand events to their readers"),
            }
            tokio::time::sleep(DISPATCH_POLL_INTERVAL).await;
        }
    });
}

/// How often an idle delivery worker looks for notifications due to a channel.
pub const DELIVERY_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// Sends due notifications through their channels' plugins, one after another.
fn spawn_delivery_worker(state: AppState) {
    tokio::spawn(async move {
        loop {
            let worker = state.clone();
            let outcome = tokio::task::spawn_blocking(move || deliver_next(&worker)).await;
            match outcome {
                Ok(Ok(crate::notifications::delivery::Sent::Nothing)) => {
                    tokio::time::sleep(DELIVERY_POLL_INTERVAL).await
                }
                Ok(Ok(_)) => {}
                Ok(Err(err)) => {
                    tracing::warn!(error = %err, "cannot deliver notifications");
                    tokio::time::sleep(DELIVERY_POLL_INTERVAL).await;
                }
                Err(err) => {
                    tracing::error!(error = %err, "notification delivery task failed");
                    tokio::time::sleep(DELIVERY_POLL_INTERVAL).await;
                }
            }
        }
    });
}

/// One pass of the delivery worker; tests call it instead of waiting for the loop.
pub fn deliver_next(
    state: &AppState,
) -> Result<crate::notifications::delivery::Sent, crate::notifications::NotificationError> {
    let mut conn = state.db.get()?;
    let base = state.public_base();
    let send = |channel: &crate::db::notifications::ChannelRow,
                message: &crate::notifications::delivery::Message| {
        state.send_through_channel(channel, message)
    };
    let sent = crate::notifications::delivery::send_next(
        &mut conn,
        &send,
        &base,
        crate::time::now_millis(),
    )?;
    match &sent {
        crate::notifications::delivery::Sent::Retry(why) => {
            tracing::info!(reason = %why, "a notification will be sent again")
        }
        crate::notifications::delivery::Sent::Dead(why) => {
            tracing::warn!(reason = %why, "a notification was given up (dead letter)")
        }
        _ => {}
    }
    Ok(sent)
}

fn spawn_activity_sweep(state: AppState) {
    tokio::spawn(async move {
        loop {
            let days = state.config.activity_retention_days;
            let now = crate::time::now_millis();
            match state
                .db
                .run(move |conn| crate::activity::retention::sweep(conn, days, now))
                .await
            {
                Ok(swept) if swept.events > 0 => {
                    tracing::info!(events = swept.events, "removed events past their retention")
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "cannot sweep old events"),
            }
            tokio::time::sleep(ACTIVITY_SWEEP_INTERVAL).await;
        }
    });
}

/// One export worker: takes a job from the database, runs it on the blocking pool, repeats.
fn spawn_export_worker(state: AppState, worker: usize) {
    let state = state.job_runner();
    tokio::spawn(async move {
        loop {
            match crate::export::jobs::next_job(&state).await {
                Some(job) => {
                    let id = job.id.clone();
                    let state = state.clone();
                    let outcome = tokio::task::spawn_blocking(move || {
                        crate::export::jobs::run_job(&state, job)
                    })
                    .await;
                    if let Err(e) = outcome {
                        tracing::error!(job = %id, worker, error = %e, "export worker task failed");
                    }
                }
                None => tokio::time::sleep(EXPORT_POLL_INTERVAL).await,
            }
        }
    });
}

fn spawn_artifact_sweep(state: AppState) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(ARTIFACT_SWEEP_INTERVAL).await;
            crate::export::jobs::expire_artifacts(&state.job_runner()).await;
        }
    });
}

/// Deletes for good the datasets in the trash past `trash_days`, rows first, then their files
/// (were that interrupted, the start-up sweep finds the files unreferenced).
fn spawn_trash_sweep(state: AppState) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(TRASH_SWEEP_INTERVAL).await;
            empty_trash(&state).await;
        }
    });
}

/// One pass of the trash sweep; tests call it instead of waiting for the loop.
pub async fn empty_trash(state: &AppState) {
    let now = crate::time::now_millis();
    let days = state.config.trash_days;
    match state
        .db
        .run(move |conn| crate::datasets::empty_trash(conn, days, now))
        .await
    {
        Ok(files) => {
            let storage = state.storage.clone();
            if let Err(err) =
                tokio::task::spawn_blocking(move || storage.remove_files(&files)).await
            {
                tracing::warn!(error = %err, "cannot remove the files of purged datasets");
            }
        }
        Err(err) => tracing::warn!(error = %err, "cannot empty the trash"),
    }
}

/// Destroys self-destructing links at their expiry (any replica may; each link once),
/// vouches for the downloads this process serves and frees the slots of those whose server
/// stopped.
fn spawn_link_sweep(state: AppState) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(LINK_SWEEP_INTERVAL).await;
            let now = crate::time::now_millis();
            match state
                .db
                .run(move |conn| crate::links::destroy_expired(conn, now))
                .await
            {
                Ok(files) => state.storage.remove_files(&files),
                Err(err) => tracing::warn!(error = %err, "cannot destroy expired links"),
            }
            if let Err(err) = state
                .db
                .run(move |conn| crate::links::announce_expiries(conn, now))
                .await
            {
                tracing::warn!(error = %err, "cannot announce links about to expire");
            }
            let downloads = state
                .db
                .run(move |conn| {
                    crate::links::download::keep_alive(conn, now)?;
                    crate::links::download::reclaim_stale(conn, now)
                })
                .await;
            match downloads {
                Ok(0) => {}
                Ok(n) => tracing::warn!(
                    downloads = n,
                    "gave back the slots of downloads whose server stopped"
                ),
                Err(err) => tracing::warn!(error = %err, "cannot sweep stale downloads"),
            }
        }
    });
}

/// Follows plugin changes made through other replicas (or the command line).
fn spawn_plugin_sync(state: AppState) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(PLUGIN_SYNC_INTERVAL).await;
            let state = state.clone();
            let outcome = tokio::task::spawn_blocking(move || state.sync_plugins()).await;
            if let Ok(Err(err)) = outcome {
                tracing::warn!(error = %err, "cannot read plugin state from the database");
            }
        }
    });
}
