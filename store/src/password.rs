//! Password hashing (argon2id) and random tokens.

use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::SaltString;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::StoreError;

/// Hashes `password` with argon2id (OWASP parameters: 19 MiB, 2 passes) off the async runtime.
pub(crate) async fn hash_password(password: &str) -> Result<String, StoreError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| StoreError::PasswordHash(e.to_string()))
    })
    .await
    .map_err(|e| StoreError::PasswordHash(e.to_string()))?
}

/// Checks `password` against a stored hash. With no hash (unknown user) a dummy hash is checked
/// anyway, so that the answer takes as long whether or not the account exists.
pub(crate) async fn verify_password(
    password: &str,
    stored_hash: Option<String>,
) -> Result<bool, StoreError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let known = stored_hash.is_some();
        let hash = match stored_hash {
            Some(hash) => hash,
            None => dummy_hash()?.to_owned(),
        };
        let parsed =
            PasswordHash::new(&hash).map_err(|e| StoreError::PasswordHash(e.to_string()))?;
        let matches = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(known && matches)
    })
    .await
    .map_err(|e| StoreError::PasswordHash(e.to_string()))?
}

fn dummy_hash() -> Result<&'static str, StoreError> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return Ok(hash);
    }
    let salt = SaltString::generate(&mut OsRng);
    let hash = Argon2::default()
        .hash_password(random_token().as_bytes(), &salt)
        .map_err(|e| StoreError::PasswordHash(e.to_string()))?
        .to_string();
    Ok(DUMMY.get_or_init(|| hash))
}

/// 32 random bytes from the operating system, hex encoded.
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The form in which a session token is stored: hex SHA-256.
pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_only_their_password() {
        let hash = hash_password("correct horse battery").await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", Some(hash.clone()))
            .await
            .unwrap());
        assert!(!verify_password("wrong password!", Some(hash))
            .await
            .unwrap());
        assert!(!verify_password("anything at all", None).await.unwrap());
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}
