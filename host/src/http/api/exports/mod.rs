//! Queued exports: request one, follow its progress (JSON or server-sent events), cancel it,
//! download its artifact (with Range requests, so a browser can resume; [`crate::http::download`]).

pub mod cancel;
pub mod create;
pub mod download;
pub mod events;
pub mod get;
pub mod list;

use crate::db::dataset_versions::DatasetVersion;
use crate::db::export_jobs::{ExportJob, JobStatus};
use crate::db::new_id;
use crate::export::ExportSpec;
use crate::http::access::{OnDataset, OnExport, View, deferred};
use crate::http::error::not_found_as;
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;
use crate::time::now_millis;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use utoipa::ToSchema;

pub use crate::http::views::exports::{JobErrorView, JobView};
