//! The Kotlin and Swift network methods (`kotlin/.../PayCoreClientCalls.kt`,
//! `swift/.../PayCoreClient+Calls.swift`) are generated from the core's operation table: one
//! wrapper per row, with the row's name, parameters and docs, that runs its `raw<Name>` export
//! under a cancellation token. The test below renders them and compares them with the files'
//! generated sections, so an operation added to the table fails here until the wrappers are
//! regenerated: `POLYPAY_UPDATE_GENERATED=1 cargo test -p polypay-uniffi wrappers`. The Gate
//! table's rows get theirs the same way (`EcommpayGateApiCalls.kt`, `EcommpayGateApi+Calls.swift`).

#![cfg(test)]

use std::fmt::Write;
use std::path::Path;

struct Row {
    variant: &'static str,
    name: &'static str,
    public: bool,
    input: &'static str,
    output: &'static str,
    doc: &'static [&'static str],
}

macro_rules! rows {
    ($( $(#[doc = $doc:literal])* $variant:ident $name:ident: $access:ident $semantics:ident ($input:ident) -> $output:ident; )*) => {
        const ROWS: &[Row] = &[$(Row {
            variant: stringify!($variant),
            name: stringify!($name),
            public: matches!(stringify!($access).as_bytes(), b"Public"),
            input: stringify!($input),
            output: stringify!($output),
            doc: &[$($doc),*],
        }),*];
    };
}

polypay::paycore_operations!(rows);

struct GateRow {
    variant: &'static str,
    name: &'static str,
    path: &'static str,
    output: &'static str,
    doc: &'static [&'static str],
}

macro_rules! gate_rows {
    ($( $(#[doc = $doc:literal])* $variant:ident $name:ident: $semantics:ident $path:literal -> $output:ident; )*) => {
        const GATE_ROWS: &[GateRow] = &[$(GateRow {
            variant: stringify!($variant),
            name: stringify!($name),
            path: $path,
            output: stringify!($output),
            doc: &[$($doc),*],
        }),*];
    };
}

polypay::ecommpay_gate_operations!(gate_rows);

const GATE_BEGIN: &str = "// ---- generated from the core's Gate table (src/wrappers.rs) ----\n";

/// A Gate method's doc comment: the row's lines and its endpoint.
fn gate_doc(row: &GateRow, indent: &str) -> String {
    let mut out = format!("{indent}/**\n");
    for line in row.doc {
        let _ = writeln!(out, "{indent} * {}", line.trim());
    }
    let _ = writeln!(
        out,
        "{indent} *\n{indent} * `POST {}`; `method` is the endpoint's payment method (`card` when null).",
        row.path
    );
    out + &format!("{indent} */\n")
}

fn gate_kotlin() -> String {
    let mut out = String::from(GATE_BEGIN);
    for row in GATE_ROWS {
        let _ = write!(
            out,
            "\n{}suspend fun EcommpayGateApiInterface.{}(requestJson: String, method: String? = null, timeout: Double? = null): {} =\n    withCallToken {{ raw{}(requestJson, method, timeout, it) }}\n",
            gate_doc(row, ""),
            camel(row.name),
            row.output,
            row.variant,
        );
    }
    out.push('\n');
    out + END
}

fn gate_swift() -> String {
    let mut out = String::from(GATE_BEGIN);
    out.push_str("\nextension EcommpayGateApiProtocol {\n");
    let methods: Vec<String> = GATE_ROWS
        .iter()
        .map(|row| {
            format!(
                "{}    public func {}(requestJson: String, method: String? = nil, timeout: Double? = nil) async throws -> {} {{\n        try await withCallToken {{ try await raw{}(requestJson: requestJson, method: method, timeout: timeout, token: $0) }}\n    }}\n",
                gate_doc(row, "    "),
                camel(row.name),
                row.output,
                row.variant,
            )
        })
        .collect();
    out.push_str(&methods.join("\n"));
    out.push_str("}\n\n");
    out + END
}

const BEGIN: &str = "// ---- generated from the core's operation table (src/wrappers.rs) ----\n";
const END: &str = "// ---- end of generated ----\n";

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A doc comment: the row's lines, and a note on laziness for lists.
fn doc(row: &Row, indent: &str, lazy: &str) -> String {
    let mut lines: Vec<String> = row.doc.iter().map(|l| l.trim().to_owned()).collect();
    if row.input == "Filter" {
        lines.push(lazy.to_owned());
    }
    match lines.len() {
        0 => String::new(),
        1 => format!("{indent}/** {} */\n", lines[0]),
        _ => {
            let mut out = format!("{indent}/**\n");
            for line in lines {
                let _ = writeln!(out, "{indent} * {line}");
            }
            out + &format!("{indent} */\n")
        }
    }
}

fn kotlin_method(row: &Row, receiver: &str) -> String {
    let (name, raw, out) = (camel(row.name), row.variant, row.output);
    let lazy = "A cold [Flow]: the next page is fetched only when the items already read are used up (`take(n)`, `first()` and cancelling the collector stop it).";
    let (params, args, result) = match row.input {
        "Nothing" => ("timeout: Double? = null", "timeout", out.to_owned()),
        "Id" => ("id: String, timeout: Double? = null", "id, timeout", out.to_owned()),
        "ReferenceId" => (
            "referenceId: String, timeout: Double? = null",
            "referenceId, timeout",
            format!("{out}?"),
        ),
        "Fields" => (
            "fieldsJson: String, timeout: Double? = null",
            "fieldsJson, timeout",
            out.to_owned(),
        ),
        "IdFields" => (
            "id: String, fieldsJson: String, timeout: Double? = null",
            "id, fieldsJson, timeout",
            out.to_owned(),
        ),
        "Filter" => {
            return format!(
                "{}fun {receiver}.{name}(referenceId: String? = null, pageSize: UInt? = null): Flow<{out}> =\n    lazyList({{ raw{raw}Pager(referenceId, pageSize) }}) {{ next(it) }}\n",
                doc(row, "", lazy)
            )
        }
        other => panic!("no Kotlin wrapper for input {other}"),
    };
    format!(
        "{}suspend fun {receiver}.{name}({params}): {result} =\n    withCallToken {{ raw{raw}({args}, it) }}\n",
        doc(row, "", lazy)
    )
}

fn kotlin() -> String {
    let mut out = String::from(BEGIN);
    out.push_str("\n// PayCoreClient: every operation.\n");
    for row in ROWS {
        out.push('\n');
        out.push_str(&kotlin_method(row, "PayCoreClientInterface"));
    }
    out.push_str("\n// PublicPayCoreClient: the Public API with the public key alone (what an app may hold).\n");
    for row in ROWS.iter().filter(|r| r.public) {
        out.push('\n');
        out.push_str(&kotlin_method(row, "PublicPayCoreClientInterface"));
    }
    out.push('\n');
    out + END
}

/// The parameters of a `raw<Name>` export and its wrapper: (declaration, arguments, result).
fn swift_parts(row: &Row) -> (&'static str, &'static str, String) {
    let out = row.output;
    match row.input {
        "Nothing" => ("", "", out.to_owned()),
        "Id" => ("id: String, ", "id: id, ", out.to_owned()),
        "ReferenceId" => (
            "referenceId: String, ",
            "referenceId: referenceId, ",
            format!("{out}?"),
        ),
        "Fields" => (
            "fieldsJson: String, ",
            "fieldsJson: fieldsJson, ",
            out.to_owned(),
        ),
        "IdFields" => (
            "id: String, fieldsJson: String, ",
            "id: id, fieldsJson: fieldsJson, ",
            out.to_owned(),
        ),
        other => panic!("no Swift wrapper for input {other}"),
    }
}

fn swift_method(row: &Row) -> String {
    let (name, raw, out) = (camel(row.name), row.variant, row.output);
    let lazy = "An async sequence: the next page is fetched only when the items already read are used up (`break` and task cancellation stop it).";
    let doc = doc(row, "    ", lazy);
    if row.input == "Filter" {
        return format!(
            "{doc}    public func {name}(referenceId: String? = nil, pageSize: UInt32? = nil) -> LazyList<{out}> {{\n        LazyList {{ let pager = try self.raw{raw}Pager(referenceId: referenceId, pageSize: pageSize); return {{ try await pager.next(token: $0) }} }}\n    }}\n"
        );
    }
    let (params, args, result) = swift_parts(row);
    format!(
        "{doc}    public func {name}({params}timeout: Double? = nil) async throws -> {result} {{\n        try await withCallToken {{ try await raw{raw}({args}timeout: timeout, token: $0) }}\n    }}\n"
    )
}

fn swift() -> String {
    let mut out = String::from(BEGIN);
    out.push_str("\nextension PayCoreClientProtocol {\n");
    let private: Vec<String> = ROWS
        .iter()
        .filter(|r| !r.public)
        .map(swift_method)
        .collect();
    out.push_str(&private.join("\n"));
    out.push_str("}\n\n/// The raw Public API calls, which `PayCoreClient` and `PublicPayCoreClient` both export.\npublic protocol PublicApiCalls {\n");
    for row in ROWS.iter().filter(|r| r.public) {
        let (params, _, result) = swift_parts(row);
        let _ = writeln!(
            out,
            "    func raw{}({params}timeout: Double?, token: CallToken?) async throws -> {result}",
            row.variant
        );
    }
    out.push_str("}\n\nextension PayCoreClient: PublicApiCalls {}\n\n/// `PublicPayCoreClient` holds the public key alone: what an app may hold (an API key or the\n/// callback secret belongs on a server).\nextension PublicPayCoreClient: PublicApiCalls {}\n\nextension PublicApiCalls {\n");
    let public: Vec<String> = ROWS.iter().filter(|r| r.public).map(swift_method).collect();
    out.push_str(&public.join("\n"));
    out.push_str("}\n\n");
    out + END
}

/// Compares (or, with `POLYPAY_UPDATE_GENERATED` set, rewrites) the generated section of `path`.
fn check(path: &str, generated: &str) {
    check_section(path, BEGIN, generated)
}

fn check_section(path: &str, begin: &str, generated: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text
        .find(begin)
        .expect("the generated section's first line");
    let end = start
        + text[start..]
            .find(END)
            .expect("the generated section's last line")
        + END.len();
    let expected = format!("{}{generated}{}", &text[..start], &text[end..]);
    if std::env::var_os("POLYPAY_UPDATE_GENERATED").is_some() {
        std::fs::write(&path, expected).unwrap();
    } else {
        assert!(
            text == expected,
            "{} is not what the operation table generates: run `POLYPAY_UPDATE_GENERATED=1 cargo test -p polypay-uniffi wrappers`",
            path.display()
        );
    }
}

#[test]
fn wrappers_are_generated_from_the_operation_table() {
    check(
        "kotlin/src/main/kotlin/polypay/PayCoreClientCalls.kt",
        &kotlin(),
    );
    check("swift/Sources/Polypay/PayCoreClient+Calls.swift", &swift());
    check_section(
        "kotlin/src/main/kotlin/polypay/EcommpayGateApiCalls.kt",
        GATE_BEGIN,
        &gate_kotlin(),
    );
    check_section(
        "swift/Sources/Polypay/EcommpayGateApi+Calls.swift",
        GATE_BEGIN,
        &gate_swift(),
    );
}
