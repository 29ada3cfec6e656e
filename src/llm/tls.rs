//! TLS only where it is used. reqwest builds its root store when the client is built, and the
//! platform loader opens every file under `/etc/ssl/certs` (147 of them here) to do it: about
//! 8 ms before the first byte, even for a server on this machine over plain http. So a plain
//! http endpoint gets an empty store, and an https one the system's CA bundle in one read.

use reqwest::{Certificate, ClientBuilder};

/// The bundle is a few hundred KB; anything much larger is not one.
const MAX_BUNDLE_BYTES: u64 = 16 << 20;

/// `builder` with the roots `base_url` needs.
pub fn roots(builder: ClientBuilder, base_url: &str) -> ClientBuilder {
    if base_url.starts_with("http://") {
        return builder.tls_certs_only([]);
    }
    match system_bundle() {
        Some(certs) => builder.tls_certs_only(certs),
        // No bundle file (macOS, Windows, a distribution that keeps only a folder), or the
        // user pointed SSL_CERT_DIR somewhere: the platform's own loader.
        None => builder,
    }
}

/// The system's CA bundle, read in one go: the file `SSL_CERT_FILE` names, or the
/// distribution's (`/etc/ssl/certs/ca-certificates.crt` and the like, as OpenSSL finds it).
fn system_bundle() -> Option<Vec<Certificate>> {
    if !cfg!(target_os = "linux") || std::env::var_os("SSL_CERT_DIR").is_some() {
        return None;
    }
    let file = openssl_probe::probe().cert_file?;
    let bytes = crate::fs::read_limited(&file, MAX_BUNDLE_BYTES).ok()??;
    let certs = Certificate::from_pem_bundle(&bytes).ok()?;
    (!certs.is_empty()).then_some(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_bundle_is_read_when_there_is_one() {
        let has_bundle = cfg!(target_os = "linux")
            && std::env::var_os("SSL_CERT_DIR").is_none()
            && openssl_probe::probe().cert_file.is_some();
        match system_bundle() {
            Some(certs) => assert!(certs.len() > 10, "{} roots", certs.len()),
            None => assert!(!has_bundle, "a bundle file exists but was not read"),
        }
    }
}
