//! A stand-in for Prolific's AI Task Builder dataset API: `Authorization: Token <token>`,
//! datasets that go `UNINITIALISED` -> `PROCESSING` -> `READY` (or `ERROR`), a signed upload
//! URL on itself that takes the CSV (`Content-Type: text/csv`), parsed as Prolific would.

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;

use serde_json::{Value, json};

use crate::http::Response;
use crate::standin::{self, PlatformFaults, PlatformRequest, Reply, StandIn};

/// The token the stand-in accepts unless told otherwise.
pub const DEFAULT_TOKEN: &str = "prolific-test-token-0123456789";

/// A dataset as the stand-in holds it.
#[derive(Clone, Debug)]
pub struct ProlificDataset {
    /// The id.
    pub id: String,
    /// The name given.
    pub name: String,
    /// The workspace given.
    pub workspace_id: String,
    /// `UNINITIALISED`, `PROCESSING`, `READY`, `ERROR`.
    pub status: String,
    /// The upload URL's signature, so tests can check it never leaks.
    pub signature: String,
    /// The uploaded CSV's header.
    pub header: Vec<String>,
    /// The uploaded CSV's rows.
    pub rows: Vec<Vec<String>>,
    /// The `Content-Type` the CSV came with.
    pub content_type: Option<String>,
    polls: u32,
    error: Option<String>,
}

/// The stand-in's state.
#[derive(Debug)]
pub struct ProlificState {
    /// The accepted token.
    pub token: String,
    /// Failures to inject.
    pub faults: PlatformFaults,
    /// Datasets by id.
    pub datasets: BTreeMap<String, ProlificDataset>,
}

/// A running stand-in.
pub type ProlificServer = StandIn<ProlificState>;

/// Start on a free port of 127.0.0.1 (or `addr`).
pub fn start(addr: Option<SocketAddr>, token: &str, faults: PlatformFaults) -> io::Result<ProlificServer> {
    let state = ProlificState {
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

fn handle(state: &mut ProlificState, req: &PlatformRequest, base_url: &str) -> Reply {
    let seg = req.segments();
    if req.method == "PUT" && seg.first() == Some(&"prolific-uploads") && seg.len() == 3 {
        return upload(state, req, seg[1]);
    }
    let api = ["api", "v1", "data-collection", "datasets"];
    if seg.len() < 4 || seg[..4] != api {
        return Reply::Answer(Response::json(404, &json!({"error": {"detail": "Not found."}})));
    }
    if req.header("authorization") != Some(format!("Token {}", state.token).as_str()) {
        return Reply::Answer(Response::json(
            401,
            &json!({"error": {"detail": "Invalid token."}}),
        ));
    }
    let answer = match (req.method.as_str(), &seg[4..]) {
        ("POST", []) => create(state, req),
        ("GET", [id, "upload-url", filename]) => upload_url(state, id, filename, base_url),
        ("GET", [id]) => detail(state, id),
        _ => Response::json(404, &json!({"error": {"detail": "Not found."}})),
    };
    Reply::Answer(answer)
}

fn create(state: &mut ProlificState, req: &PlatformRequest) -> Response {
    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    let name = body.get("name").and_then(Value::as_str).unwrap_or("");
    let workspace = body.get("workspace_id").and_then(Value::as_str).unwrap_or("");
    if state.faults.validation_error || name.is_empty() || workspace.is_empty() {
        let mut detail = serde_json::Map::new();
        if name.is_empty() {
            detail.insert("name".into(), json!(["This field is required."]));
        }
        if workspace.is_empty() || state.faults.validation_error {
            detail.insert(
                "workspace_id".into(),
                json!(["Workspace not found or not accessible."]),
            );
        }
        return Response::json(400, &json!({"error": {"title": "Bad request", "detail": detail}}));
    }
    let id = format!("{}-{}", standin::hex(8), standin::hex(12));
    state.datasets.insert(
        id.clone(),
        ProlificDataset {
            id: id.clone(),
            name: name.into(),
            workspace_id: workspace.into(),
            status: "UNINITIALISED".into(),
            signature: standin::hex(64),
            header: Vec::new(),
            rows: Vec::new(),
            content_type: None,
            polls: 0,
            error: None,
        },
    );
    Response::json(201, &json!({"id": id, "name": name, "status": "UNINITIALISED"}))
}

fn upload_url(state: &mut ProlificState, id: &str, filename: &str, base_url: &str) -> Response {
    let Some(d) = state.datasets.get(id) else {
        return Response::json(404, &json!({"error": {"detail": "Dataset not found."}}));
    };
    let url = format!(
        "{base_url}/prolific-uploads/{id}/{filename}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=900&X-Amz-Signature={}",
        d.signature
    );
    Response::json(
        200,
        &json!({"upload_url": url, "expires_at": "2099-01-01T00:00:00Z", "http_method": "PUT", "dataset_id": id}),
    )
}

fn upload(state: &mut ProlificState, req: &PlatformRequest, id: &str) -> Reply {
    let faults = &mut state.faults;
    if standin::take(&mut faults.drop_uploads) {
        return Reply::Drop;
    }
    if req.header("authorization").is_some() {
        return Reply::Answer(standin::store_error(
            400,
            "InvalidArgument",
            "Only one auth mechanism allowed",
        ));
    }
    if faults.expired_upload_url {
        return Reply::Answer(standin::store_error(403, "AccessDenied", "Request has expired"));
    }
    let Some(d) = state.datasets.get_mut(id) else {
        return Reply::Answer(standin::store_error(
            404,
            "NoSuchKey",
            "The specified key does not exist.",
        ));
    };
    if req.query_param("X-Amz-Signature") != Some(d.signature.as_str()) {
        return Reply::Answer(standin::store_error(
            403,
            "SignatureDoesNotMatch",
            "The signature does not match.",
        ));
    }
    if standin::take(&mut state.faults.upload_503_times) {
        return Reply::Answer(standin::store_error(
            503,
            "SlowDown",
            "Please reduce your request rate.",
        ));
    }
    d.content_type = req.header("content-type").map(str::to_owned);
    d.status = "PROCESSING".into();
    d.polls = 0;
    match parse_csv(&req.body) {
        Ok((header, rows)) => {
            d.header = header;
            d.rows = rows;
            d.error = None;
        }
        Err(e) => d.error = Some(e),
    }
    Reply::Answer(Response::empty(200).header("ETag", "\"0123456789abcdef\""))
}

/// The header and rows, as Prolific reads a dataset: UTF-8 CSV with an `id` column.
fn parse_csv(bytes: &[u8]) -> Result<(Vec<String>, Vec<Vec<String>>), String> {
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| format!("The file is not valid CSV: {e}"))?
        .iter()
        .map(str::to_owned)
        .collect();
    if !header.iter().any(|h| h == "id") {
        return Err("The CSV has no id column.".into());
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("The file is not valid CSV: {e}"))?;
        rows.push(record.iter().map(str::to_owned).collect());
    }
    if rows.is_empty() {
        return Err("The CSV has no datapoints.".into());
    }
    Ok((header, rows))
}

fn detail(state: &mut ProlificState, id: &str) -> Response {
    if standin::take(&mut state.faults.throttle_polls) {
        return standin::throttled(&state.faults);
    }
    let polls_until_ready = state.faults.polls_until_ready;
    let processing_error = state.faults.processing_error.clone();
    let Some(d) = state.datasets.get_mut(id) else {
        return Response::json(404, &json!({"error": {"detail": "Dataset not found."}}));
    };
    if d.status == "PROCESSING" {
        if d.polls >= polls_until_ready {
            match processing_error.or_else(|| d.error.clone()) {
                Some(text) => {
                    d.status = "ERROR".into();
                    d.error = Some(text);
                }
                None => d.status = "READY".into(),
            }
        }
        d.polls += 1;
    }
    let count = (d.status == "READY").then_some(d.rows.len());
    let error = if d.status == "ERROR" {
        json!({"detail": d.error})
    } else {
        Value::Null
    };
    Response::json(
        200,
        &json!({"id": d.id, "name": d.name, "status": d.status, "total_datapoint_count": count, "error": error}),
    )
}
