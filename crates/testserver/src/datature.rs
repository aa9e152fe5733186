//! A stand-in for Datature Nexus's batch dataset API: `Secret-Key: <key>`, datasets created
//! with the file's size and CRC32C, a signed upload URL on itself that demands exactly the
//! headers it listed (and checks the CRC32C itself, with its own implementation), and
//! `status.overview` going `Uploading` -> `Uploaded` (or `FailedProcessing`).

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;

use serde_json::{Value, json};

use crate::http::Response;
use crate::standin::{self, PlatformFaults, PlatformRequest, Reply, StandIn};

/// The secret key the stand-in accepts unless told otherwise.
pub const DEFAULT_SECRET_KEY: &str = "datature-test-secret-0123456789";

/// A dataset as the stand-in holds it.
#[derive(Clone, Debug)]
pub struct DatatureDataset {
    /// `dataset_...`.
    pub id: String,
    /// The name given.
    pub name: String,
    /// The project in the path.
    pub project_id: String,
    /// The overview.
    pub overview: String,
    /// The size declared at creation.
    pub size_bytes: u64,
    /// The CRC32C declared at creation.
    pub crc32c: String,
    /// The upload URL's signature.
    pub signature: String,
    /// The headers the upload URL demands.
    pub upload_headers: BTreeMap<String, String>,
    /// The URLs of the uploaded NDJSON, in order.
    pub urls: Vec<String>,
    /// Expiry, ms since 1970.
    pub expiry_time: u64,
    polls: u32,
    error: Option<String>,
}

/// The stand-in's state.
#[derive(Debug)]
pub struct DatatureState {
    /// The accepted secret key.
    pub secret_key: String,
    /// Failures to inject.
    pub faults: PlatformFaults,
    /// How long after creation datasets expire, in ms.
    pub expiry_after_ms: u64,
    /// Datasets by id.
    pub datasets: BTreeMap<String, DatatureDataset>,
}

/// A running stand-in.
pub type DatatureServer = StandIn<DatatureState>;

/// Datasets expire a week after creation unless told otherwise.
pub const DEFAULT_EXPIRY_MS: u64 = 7 * 24 * 3600 * 1000;

/// Start on a free port of 127.0.0.1 (or `addr`).
pub fn start(
    addr: Option<SocketAddr>,
    secret_key: &str,
    faults: PlatformFaults,
    expiry_after_ms: u64,
) -> io::Result<DatatureServer> {
    let state = DatatureState {
        secret_key: secret_key.to_owned(),
        faults,
        expiry_after_ms,
        datasets: BTreeMap::new(),
    };
    StandIn::start(
        addr.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0))),
        state,
        handle,
    )
}

fn handle(state: &mut DatatureState, req: &PlatformRequest, base_url: &str) -> Reply {
    let seg = req.segments();
    if req.method == "PUT" && seg.len() == 2 && seg[0] == "datature-uploads" {
        return upload(state, req, seg[1]);
    }
    if req.header("secret-key") != Some(state.secret_key.as_str()) {
        return Reply::Answer(Response::json(
            403,
            &json!({"error": "Forbidden", "message": "Invalid Secret Key"}),
        ));
    }
    let answer = match (req.method.as_str(), seg.as_slice()) {
        ("POST", ["projects", project, "batch", "datasets"]) => create(state, req, project, base_url),
        ("GET", ["projects", _, "batch", "datasets", id]) => detail(state, id, base_url),
        _ => Response::json(404, &json!({"error": "NotFound", "message": "Not found"})),
    };
    Reply::Answer(answer)
}

fn create(state: &mut DatatureState, req: &PlatformRequest, project: &str, base_url: &str) -> Response {
    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    let name = body.get("name").and_then(Value::as_str).unwrap_or("");
    let source = &body["spec"]["source"];
    let size = source.get("sizeBytes").and_then(Value::as_u64);
    let crc = source.get("crc32c").and_then(Value::as_str);
    let kind = source.get("kind").and_then(Value::as_str);
    let problem = if state.faults.validation_error {
        Some("spec.source.sizeBytes: exceeds the project's dataset quota".to_string())
    } else if name.is_empty() {
        Some("name: must not be empty".into())
    } else if kind != Some("UploadedNewlineDelimitedJsonFile") {
        Some(format!("spec.source.kind: unsupported kind {kind:?}"))
    } else if size.is_none() || crc.is_none() {
        Some("spec.source: sizeBytes and crc32c are required".into())
    } else {
        None
    };
    if let Some(message) = problem {
        return Response::json(400, &json!({"error": "BadRequest", "message": message}));
    }
    let (size, crc) = (size.unwrap_or(0), crc.unwrap_or("").to_owned());
    let id = format!("dataset_{}-{}", standin::hex(8), standin::hex(12));
    let mut headers = BTreeMap::new();
    headers.insert("content-length".to_string(), size.to_string());
    headers.insert("content-type".to_string(), "application/octet-stream".to_string());
    headers.insert("x-goog-hash".to_string(), format!("crc32c={crc}"));
    headers.insert("x-goog-if-generation-match".to_string(), "0".to_string());
    headers.insert("x-goog-meta-datature-dataset-link".to_string(), id.clone());
    let d = DatatureDataset {
        id: id.clone(),
        name: name.into(),
        project_id: project.into(),
        overview: "Waiting".into(),
        size_bytes: size,
        crc32c: crc,
        signature: standin::hex(64),
        upload_headers: headers,
        urls: Vec::new(),
        expiry_time: standin::now_ms() + state.expiry_after_ms,
        polls: 0,
        error: None,
    };
    let answer = view(&d, base_url, true);
    state.datasets.insert(id, d);
    Response::json(201, &answer)
}

fn view(d: &DatatureDataset, base_url: &str, with_upload: bool) -> Value {
    let upload = if with_upload {
        json!({
            "method": "PUT",
            "url": format!("{base_url}/datature-uploads/{}?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Expires=3600&X-Goog-Signature={}", d.id, d.signature),
            "headers": d.upload_headers,
            "expires_at_time": standin::now_ms() + 3_600_000,
        })
    } else {
        Value::Null
    };
    let message = match (d.overview.as_str(), &d.error) {
        ("FailedProcessing", Some(e)) => e.clone(),
        (o, _) => format!("{o} Dataset"),
    };
    json!({
        "id": d.id, "object": "dataset", "name": d.name, "project_id": d.project_id,
        "expiry_time": d.expiry_time,
        "status": {
            "overview": d.overview, "message": message, "update_time": standin::now_ms(),
            "source": {"kind": "UploadedNewlineDelimitedJsonFile", "upload_url": upload},
            "item_count": d.urls.len(),
        },
        "create_date": standin::now_ms(), "update_date": standin::now_ms(),
    })
}

fn upload(state: &mut DatatureState, req: &PlatformRequest, id: &str) -> Reply {
    if standin::take(&mut state.faults.drop_uploads) {
        return Reply::Drop;
    }
    if state.faults.expired_upload_url {
        return Reply::Answer(standin::store_error(
            400,
            "ExpiredToken",
            "Invalid argument. The provided token has expired.",
        ));
    }
    let Some(d) = state.datasets.get_mut(id) else {
        return Reply::Answer(standin::store_error(
            404,
            "NoSuchKey",
            "The specified key does not exist.",
        ));
    };
    if req.query_param("X-Goog-Signature") != Some(d.signature.as_str()) {
        return Reply::Answer(standin::store_error(
            403,
            "SignatureDoesNotMatch",
            "The signature does not match.",
        ));
    }
    // A signed URL signs its headers: each listed one must be sent with its value.
    for (name, value) in &d.upload_headers {
        if req.header(name) != Some(value.as_str()) {
            return Reply::Answer(standin::store_error(
                403,
                "SignatureDoesNotMatch",
                &format!("The header {name} was not sent as signed."),
            ));
        }
    }
    if standin::take(&mut state.faults.upload_503_times) {
        return Reply::Answer(standin::store_error(
            503,
            "SlowDown",
            "Please reduce your request rate.",
        ));
    }
    let computed = format!("crc32c={}", base64(&crc32c(&req.body).to_be_bytes()));
    if req.header("x-goog-hash") != Some(computed.as_str()) {
        return Reply::Answer(standin::store_error(
            400,
            "BadDigest",
            "The CRC32C you specified did not match what we received.",
        ));
    }
    d.overview = "Uploading".into();
    d.polls = 0;
    d.urls.clear();
    d.error = None;
    for (i, line) in String::from_utf8_lossy(&req.body).lines().enumerate() {
        let item: Value = serde_json::from_str(line).unwrap_or(Value::Null);
        match (
            item.get("kind").and_then(Value::as_str),
            item.get("url").and_then(Value::as_str),
        ) {
            (Some("Image"), Some(url)) => d.urls.push(url.to_owned()),
            _ => {
                d.error = Some(format!("Line {}: not an Image item with a url", i + 1));
                break;
            }
        }
    }
    Reply::Answer(Response::empty(200))
}

fn detail(state: &mut DatatureState, id: &str, base_url: &str) -> Response {
    if standin::take(&mut state.faults.throttle_polls) {
        return standin::throttled(&state.faults);
    }
    let polls_until_ready = state.faults.polls_until_ready;
    let processing_error = state.faults.processing_error.clone();
    let Some(d) = state.datasets.get_mut(id) else {
        return Response::json(404, &json!({"error": "NotFound", "message": "Dataset not found"}));
    };
    if d.overview == "Uploading" {
        if d.polls >= polls_until_ready {
            match processing_error.or_else(|| d.error.clone()) {
                Some(text) => {
                    d.overview = "FailedProcessing".into();
                    d.error = Some(text);
                }
                None => d.overview = "Uploaded".into(),
            }
        }
        d.polls += 1;
    }
    Response::json(200, &view(d, base_url, false))
}

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), bit by bit: slow, and independent
/// of the crate the client uses.
pub fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_values() {
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(base64(&[0xE3, 0x06, 0x92, 0x83]), "4waSgw==");
    }
}
