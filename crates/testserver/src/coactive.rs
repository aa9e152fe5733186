//! A stand-in for Coactive's dataset API: `Authorization: Bearer <token>`, names checked
//! against `^[A-Za-z0-9_]+$` and kept unique, FastAPI-style 422 bodies, assets added by URL at
//! most 100 per request, and datasets going `processing` -> `ready` (or `error`).

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;

use serde_json::{Value, json};

use crate::http::Response;
use crate::standin::{self, PlatformFaults, PlatformRequest, Reply, StandIn};

/// The token the stand-in accepts unless told otherwise.
pub const DEFAULT_TOKEN: &str = "coactive-test-token-0123456789";

/// One asset as added.
#[derive(Clone, Debug, PartialEq)]
pub struct CoactiveAsset {
    /// `image` or `video`.
    pub kind: String,
    /// The URL.
    pub path: String,
    /// Its metadata.
    pub metadata: Value,
}

/// A dataset as the stand-in holds it.
#[derive(Clone, Debug)]
pub struct CoactiveDataset {
    /// The id.
    pub id: String,
    /// The name.
    pub name: String,
    /// The encoder asked for.
    pub encoder_name: String,
    /// The asset types allowed.
    pub allowed_asset_types: Vec<String>,
    /// `processing`, `ready`, `error`.
    pub status: String,
    /// Assets added, in order.
    pub assets: Vec<CoactiveAsset>,
    /// How many asset requests it took.
    pub asset_requests: usize,
    polls: u32,
    error: Option<String>,
}

/// The stand-in's state.
#[derive(Debug)]
pub struct CoactiveState {
    /// The accepted token.
    pub token: String,
    /// Failures to inject.
    pub faults: PlatformFaults,
    /// Datasets by id.
    pub datasets: BTreeMap<String, CoactiveDataset>,
}

/// A running stand-in.
pub type CoactiveServer = StandIn<CoactiveState>;

/// Start on a free port of 127.0.0.1 (or `addr`).
pub fn start(addr: Option<SocketAddr>, token: &str, faults: PlatformFaults) -> io::Result<CoactiveServer> {
    let state = CoactiveState {
        token: token.to_owned(),
        faults,
        datasets: BTreeMap::new(),
    };
    StandIn::start(
        addr.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0))),
        state,
        handle,
    )
}

fn invalid(field: &str, msg: &str, kind: &str) -> Response {
    Response::json(
        422,
        &json!({"detail": [{"loc": ["body", field], "msg": msg, "type": kind}]}),
    )
}

fn handle(state: &mut CoactiveState, req: &PlatformRequest, _base_url: &str) -> Reply {
    if req.header("authorization") != Some(format!("Bearer {}", state.token).as_str()) {
        return Reply::Answer(Response::json(401, &json!({"detail": "Not authenticated"})));
    }
    let seg = req.segments();
    match (req.method.as_str(), seg.as_slice()) {
        ("POST", ["api", "v1", "datasets"]) => Reply::Answer(create(state, req)),
        ("POST", ["api", "v1", "datasets", id, "assets"]) => assets(state, req, id),
        ("GET", ["api", "v1", "datasets", id]) => Reply::Answer(detail(state, id)),
        _ => Reply::Answer(Response::json(404, &json!({"detail": "Not Found"}))),
    }
}

fn create(state: &mut CoactiveState, req: &PlatformRequest) -> Response {
    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    let name = body.get("name").and_then(Value::as_str).unwrap_or("");
    let encoder = body.get("encoder_name").and_then(Value::as_str).unwrap_or("");
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return invalid(
            "name",
            "string does not match regex \"^[a-zA-Z0-9_]+$\"",
            "value_error.str.regex",
        );
    }
    if state.faults.validation_error {
        return invalid(
            "encoder_name",
            &format!("unknown encoder '{encoder}'"),
            "value_error",
        );
    }
    if encoder.is_empty() {
        return invalid("encoder_name", "field required", "value_error.missing");
    }
    if state.datasets.values().any(|d| d.name == name) {
        return invalid("name", "a dataset with this name already exists", "value_error");
    }
    let types: Vec<String> = body
        .get("allowed_asset_types")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    if types.is_empty() || types.iter().any(|t| t != "image" && t != "video") {
        return invalid(
            "allowed_asset_types",
            "each must be image or video",
            "type_error.enum",
        );
    }
    let id = format!("{}-{}", standin::hex(8), standin::hex(12));
    state.datasets.insert(
        id.clone(),
        CoactiveDataset {
            id: id.clone(),
            name: name.into(),
            encoder_name: encoder.into(),
            allowed_asset_types: types.clone(),
            status: "processing".into(),
            assets: Vec::new(),
            asset_requests: 0,
            polls: 0,
            error: None,
        },
    );
    Response::json(
        200,
        &json!({"dataset_id": id, "name": name, "status": "processing", "allowed_asset_types": types, "encoders": [encoder]}),
    )
}

fn assets(state: &mut CoactiveState, req: &PlatformRequest, id: &str) -> Reply {
    if standin::take(&mut state.faults.drop_uploads) {
        return Reply::Drop;
    }
    if standin::take(&mut state.faults.upload_503_times) {
        return Reply::Answer(Response::json(503, &json!({"detail": "Service Unavailable"})));
    }
    let Some(d) = state.datasets.get_mut(id) else {
        return Reply::Answer(Response::json(404, &json!({"detail": "Dataset not found"})));
    };
    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    let mut added = Vec::new();
    for (field, kind) in [("images", "image"), ("videos", "video")] {
        let list = body
            .get(field)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (i, item) in list.iter().enumerate() {
            let path = item.get("path").and_then(Value::as_str).unwrap_or("");
            if !(path.starts_with("http://") || path.starts_with("https://")) {
                return Reply::Answer(invalid(
                    &format!("{field}.{i}.path"),
                    "invalid or missing URL",
                    "value_error.url",
                ));
            }
            if !d.allowed_asset_types.iter().any(|t| t == kind) {
                return Reply::Answer(invalid(
                    field,
                    &format!("{kind} assets are not allowed in this dataset"),
                    "value_error",
                ));
            }
            added.push(CoactiveAsset {
                kind: kind.into(),
                path: path.into(),
                metadata: item.get("metadata").cloned().unwrap_or(Value::Null),
            });
        }
    }
    if added.len() > 100 {
        return Reply::Answer(invalid(
            "images",
            "at most 100 assets per request",
            "value_error.list.max_items",
        ));
    }
    d.assets.extend(added);
    d.asset_requests += 1;
    d.status = "processing".into();
    d.polls = 0;
    Reply::Answer(Response::json(
        200,
        &json!({"dataset_id": id, "added": d.assets.len()}),
    ))
}

fn detail(state: &mut CoactiveState, id: &str) -> Response {
    if standin::take(&mut state.faults.throttle_polls) {
        return standin::throttled(&state.faults);
    }
    let polls_until_ready = state.faults.polls_until_ready;
    let processing_error = state.faults.processing_error.clone();
    let Some(d) = state.datasets.get_mut(id) else {
        return Response::json(404, &json!({"detail": "Dataset not found"}));
    };
    if d.status == "processing" {
        if d.polls >= polls_until_ready {
            match processing_error {
                Some(text) => {
                    d.status = "error".into();
                    d.error = Some(text);
                }
                None => d.status = "ready".into(),
            }
        }
        d.polls += 1;
    }
    Response::json(
        200,
        &json!({"dataset_id": d.id, "name": d.name, "status": d.status, "error": d.error,
                "asset_count": d.assets.len(), "allowed_asset_types": d.allowed_asset_types}),
    )
}
