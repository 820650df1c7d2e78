//! Where bodies and secrets come from: stdin, a file, the environment — never a secret on the
//! command line, where `ps` and shell history would show it.

use std::ffi::OsString;
use std::fmt;
use std::io::Read;
use std::path::PathBuf;

use polypay::json::MAX_INPUT_BYTES;
use polypay::Error;

/// Where a body comes from: `-` (stdin), `@FILE`, or the text itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    Stdin,
    File(PathBuf),
    Inline(String),
}

/// clap value parser of [`Body`]: `-` or `@-` is stdin, `@PATH` a file, anything else the text.
pub fn body(value: &str) -> Result<Body, String> {
    match value {
        "-" | "@-" => Ok(Body::Stdin),
        "@" => Err("@ needs a file name (@FILE), or use - for stdin".into()),
        _ => Ok(match value.strip_prefix('@') {
            Some(path) => Body::File(PathBuf::from(path)),
            None => Body::Inline(value.to_owned()),
        }),
    }
}

impl Body {
    /// How errors about the content name it: `stdin`, the file, or the flag of inline text.
    pub fn label(&self, flag: &str) -> String {
        match self {
            Body::Stdin => "stdin".into(),
            Body::File(path) => path.display().to_string(),
            Body::Inline(_) => flag.into(),
        }
    }

    /// The bytes, at most [`MAX_INPUT_BYTES`]; `argument` names the flag in errors.
    pub fn read(&self, argument: &str) -> Result<Vec<u8>, Error> {
        let bytes = match self {
            Body::Inline(text) => text.as_bytes().to_vec(),
            Body::Stdin => read_limited(std::io::stdin().lock(), MAX_INPUT_BYTES)
                .map_err(|e| unreadable(argument, "stdin", &e))?,
            Body::File(path) => std::fs::File::open(path)
                .and_then(|file| read_limited(file, MAX_INPUT_BYTES))
                .map_err(|e| unreadable(argument, &path.display().to_string(), &e))?,
        };
        if bytes.len() > MAX_INPUT_BYTES {
            return Err(Error::invalid(
                self.label(argument),
                "too_large",
                format!(
                    "input is larger than the {} MB limit",
                    MAX_INPUT_BYTES / (1024 * 1024)
                ),
            ));
        }
        Ok(bytes)
    }
}

/// Where `--secret-file` (and the like) reads: `-` is stdin, anything else a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretFile {
    Stdin,
    Path(PathBuf),
}

/// clap value parser of [`SecretFile`].
pub fn secret_file(value: &str) -> Result<SecretFile, String> {
    match value {
        "" => Err("needs a file name, or - for stdin".into()),
        "-" => Ok(SecretFile::Stdin),
        _ => Ok(SecretFile::Path(PathBuf::from(value))),
    }
}

/// A secret file larger than this is not a key (a wrong path, a binary).
const MAX_SECRET_BYTES: usize = 64 * 1024;

/// A secret and where it came from (the flag or variable that errors name). Never printed.
pub struct Secret {
    value: String,
    origin: &'static str,
}

impl Secret {
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// Where the secret came from, for the core's errors about it ("secret: is a public key").
    pub fn origin(&self) -> &'static str {
        self.origin
    }

    pub fn into_value(self) -> String {
        self.value
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({}: <redacted>)", self.origin)
    }
}

/// How one secret is looked for: its flag and its environment variable.
#[derive(Clone, Copy)]
pub struct SecretSource {
    /// `--secret-file`, `--api-key-file`
    pub flag: &'static str,
    /// `POLYPAY_SECRET_KEY`, …
    pub env: &'static str,
    /// What it is, for messages: "the project's secret key"
    pub what: &'static str,
}

impl SecretSource {
    /// The secret from the file (`-`: stdin) when one is given, else from the variable; an
    /// empty one is an error, and so is a missing one when `required`.
    pub fn resolve(
        &self,
        file: Option<&SecretFile>,
        required: bool,
    ) -> Result<Option<Secret>, Error> {
        let (value, origin) = match file {
            Some(file) => (self.read_file(file)?, self.flag),
            None => match std::env::var_os(self.env) {
                Some(value) => (self.env_text(value)?, self.env),
                None if required => return Err(self.missing()),
                None => return Ok(None),
            },
        };
        if value.is_empty() {
            return Err(Error::invalid(
                origin,
                "empty_secret",
                format!(
                    "is empty; {} goes in {} or in the file given to {}",
                    self.what, self.env, self.flag
                ),
            ));
        }
        if value.trim() != value {
            return Err(Error::invalid(
                origin,
                "whitespace_secret",
                "has leading or trailing whitespace (one trailing newline is stripped from a \
                 file; a second one, a space or a tab is not); strip it",
            ));
        }
        Ok(Some(Secret { value, origin }))
    }

    fn missing(&self) -> Error {
        Error::invalid(
            "secret",
            "missing_secret",
            format!(
                "missing: {} comes from the environment variable {} or from {} FILE \
                 ({} - reads it from stdin); never from the command line",
                self.what, self.env, self.flag, self.flag
            ),
        )
    }

    fn env_text(&self, value: OsString) -> Result<String, Error> {
        value
            .into_string()
            .map_err(|_| Error::invalid(self.env, "invalid_utf8", "is not valid UTF-8"))
    }

    fn read_file(&self, file: &SecretFile) -> Result<String, Error> {
        let bytes = match file {
            SecretFile::Stdin => read_limited(std::io::stdin().lock(), MAX_SECRET_BYTES)
                .map_err(|e| unreadable(self.flag, "stdin", &e))?,
            SecretFile::Path(path) => std::fs::File::open(path)
                .and_then(|f| read_limited(f, MAX_SECRET_BYTES))
                .map_err(|e| unreadable(self.flag, &path.display().to_string(), &e))?,
        };
        if bytes.len() > MAX_SECRET_BYTES {
            return Err(Error::invalid(
                self.flag,
                "too_large",
                format!(
                    "is larger than {} KB: not a key file",
                    MAX_SECRET_BYTES / 1024
                ),
            ));
        }
        let mut text = String::from_utf8(bytes)
            .map_err(|_| Error::invalid(self.flag, "invalid_utf8", "is not valid UTF-8"))?;
        // One trailing newline (as `echo` and editors write it) is not part of the key.
        if text.ends_with('\n') {
            text.pop();
            if text.ends_with('\r') {
                text.pop();
            }
        }
        Ok(text)
    }
}

/// Refuses two readers of stdin: the secret and the body cannot both come from it.
pub fn one_stdin_reader(readers: &[(&str, bool)]) -> Result<(), Error> {
    let on_stdin: Vec<&str> = readers
        .iter()
        .filter(|(_, stdin)| *stdin)
        .map(|(name, _)| *name)
        .collect();
    if on_stdin.len() > 1 {
        return Err(Error::invalid(
            on_stdin[1],
            "stdin_taken",
            format!(
                "stdin is already read by {}: give {} a file (@FILE for a body, a path for a secret)",
                on_stdin[0], on_stdin[1]
            ),
        ));
    }
    Ok(())
}

fn read_limited(reader: impl Read, limit: usize) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(limit as u64 + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn unreadable(argument: &str, what: &str, error: &std::io::Error) -> Error {
    Error::invalid(
        argument,
        "unreadable",
        format!("cannot read {what}: {error}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_sources() {
        assert_eq!(body("-"), Ok(Body::Stdin));
        assert_eq!(body("@-"), Ok(Body::Stdin));
        assert_eq!(body("@a.json"), Ok(Body::File("a.json".into())));
        assert_eq!(body("{}"), Ok(Body::Inline("{}".into())));
        assert!(body("@").is_err());
        assert_eq!(secret_file("-"), Ok(SecretFile::Stdin));
        assert!(secret_file("").is_err());
    }

    #[test]
    fn one_reader_of_stdin() {
        assert!(one_stdin_reader(&[("--secret-file", true), ("--json", false)]).is_ok());
        let error = one_stdin_reader(&[("--secret-file", true), ("--json", true)]).unwrap_err();
        assert_eq!(error.argument(), Some("--json"));
        assert!(error.to_string().contains("--secret-file"));
    }
}
