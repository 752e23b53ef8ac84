//! The upload a load-tested API receives: a `multipart/form-data` form with the file and, so
//! the server can check what it got, the file's length and CRC-32.

/// The form's boundary (the generated files never contain it).
pub const BOUNDARY: &str = "conlab-form-boundary-5f3a9c1e";

/// The form's `Content-Type`.
pub fn content_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// The form's body: fields `length` and `crc32`, then the file `file_name` with `payload`.
pub fn form(file_name: &str, payload: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(payload.len() + 512);
    let field = |body: &mut Vec<u8>, name: &str, value: &str| {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    };
    field(&mut body, "length", &payload.len().to_string());
    field(
        &mut body,
        "crc32",
        &format!("{:08x}", crc32fast::hash(payload)),
    );
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(payload);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// A whole HTTP/1.1 request posting the form to `path` on `host`.
pub fn post_request(host: &str, path: &str, file_name: &str, payload: &[u8]) -> Vec<u8> {
    let body = form(file_name, payload);
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: conlab\r\nContent-Type: {}\r\n\
         Content-Length: {}\r\n\r\n",
        content_type(),
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);
    request
}

/// A whole HTTP/1.1 GET of `path` on `host`, keeping the connection alive.
pub fn get_request(host: &str, path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: conlab\r\n\r\n").into_bytes()
}
