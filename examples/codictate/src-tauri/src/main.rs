// Codictate's Rust side: the Sentry plugin forwards the webview's events to the native client.
fn main() {
    let client = tauri_plugin_sentry::sentry::init((
        std::env::var("SENTRY_DSN").unwrap_or_default(),
        tauri_plugin_sentry::sentry::ClientOptions {
            release: Some(format!("codictate@{}", env!("CARGO_PKG_VERSION")).into()),
            send_default_pii: false,
            // Scrub before anything leaves the app: no user, no server name (the host's name).
            before_send: Some(std::sync::Arc::new(|mut event| {
                event.user = None;
                event.server_name = None;
                Some(event)
            })),
            ..Default::default()
        },
    ));
    tauri::Builder::default()
        .plugin(tauri_plugin_sentry::init(&client))
        .run(tauri::generate_context!())
        .expect("error while running Codictate");
}
