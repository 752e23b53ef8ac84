//! The key the server and its workers share: every entry the server adds is signed with it
//! (HMAC-SHA256), and a worker runs only entries whose signature it can verify.

use crate::error::QueueError;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::path::Path;

/// The fewest bytes a secret may have.
pub const MIN_SECRET: usize = 16;

/// A shared secret.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl Secret {
    /// A secret from its bytes (at least [`MIN_SECRET`]).
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Secret, QueueError> {
        let bytes = bytes.into();
        if bytes.len() < MIN_SECRET {
            return Err(QueueError::Secret(format!(
                "the queue's secret has {} bytes, fewer than the {MIN_SECRET} it needs; make one \
                 with `head -c 32 /dev/urandom | base64 > queue.secret`",
                bytes.len()
            )));
        }
        Ok(Secret(bytes))
    }

    /// The secret in file `path`, without its trailing line end.
    pub fn from_file(path: &Path) -> Result<Secret, QueueError> {
        let text = std::fs::read(path).map_err(|e| {
            QueueError::Secret(format!(
                "the queue's secret file {} cannot be read: {e}; make one with \
                 `head -c 32 /dev/urandom | base64 > {}` and give it to the server and every worker",
                path.display(),
                path.display()
            ))
        })?;
        if text.len() > 4096 {
            return Err(QueueError::Secret(format!(
                "{} is {} bytes long, not a secret (at most 4096)",
                path.display(),
                text.len()
            )));
        }
        let trimmed = text.trim_ascii_end().to_vec();
        Secret::new(trimmed).map_err(|e| QueueError::Secret(format!("{}: {e}", path.display())))
    }

    /// The signature of `message`, in hex.
    pub fn sign(&self, message: &[u8]) -> String {
        let mut mac = self.mac();
        mac.update(message);
        hex(&mac.finalize().into_bytes())
    }

    /// What the queue's servers leave in Redis so a worker can tell, before it takes a run,
    /// whether it holds the same secret: a signature of a fixed text, which says nothing of
    /// the secret itself.
    pub fn fingerprint(&self) -> String {
        self.sign(b"conlab queue: the secret's fingerprint, v1")
    }

    /// Whether `signature` (hex) signs `message`, compared in constant time.
    pub fn verify(&self, message: &[u8], signature: &str) -> bool {
        let Some(bytes) = unhex(signature) else {
            return false;
        };
        let mut mac = self.mac();
        mac.update(message);
        mac.verify_slice(&bytes).is_ok()
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes keys of any length.
        Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length")
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 || text.len() > 128 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_its_message_and_key() {
        let key = Secret::new("0123456789abcdef0123").unwrap();
        let other = Secret::new("0123456789abcdef0124").unwrap();
        let sig = key.sign(b"run 1");
        assert_eq!(sig.len(), 64);
        assert!(key.verify(b"run 1", &sig));
        assert!(!key.verify(b"run 2", &sig));
        assert!(!other.verify(b"run 1", &sig));
        assert!(!key.verify(b"run 1", ""));
        assert!(!key.verify(b"run 1", "zz"));
    }

    #[test]
    fn short_or_missing_secrets_are_refused_saying_how_to_make_one() {
        assert!(Secret::new("short")
            .unwrap_err()
            .to_string()
            .contains("head -c 32"));
        let e = Secret::from_file(Path::new("/nonexistent/queue.secret")).unwrap_err();
        assert!(e.to_string().contains("cannot be read"), "{e}");
    }
}
