//! The workspace's `uniffi-bindgen`: same uniffi version as the library it reads (library mode).
fn main() {
    uniffi::uniffi_bindgen_main()
}
