//! How the window's web view paints. WebKitGTK composites pages with OpenGL by default;
//! without a GPU it can use (a virtual machine, a remote desktop) that is Mesa's software
//! renderer, which for this page held about 65 MiB of layers and renderer state in the web
//! process (`scripts/bench.sh`, idle memory). A board of flat cards gains nothing from
//! compositing, so WebKit paints it directly, as every browser did before GPU compositing.

/// Turns compositing off in every window the app has opened.
#[cfg(target_os = "linux")]
pub fn paint_without_compositing(app: &tauri::App) {
    use tauri::Manager;
    use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};

    for window in app.webview_windows().into_values() {
        let tuned = window.with_webview(|webview| {
            if let Some(settings) = webview.inner().settings() {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            }
        });
        if let Err(err) = tuned {
            log::warn!("the window keeps WebKit's compositing: {err}");
        }
    }
}

#[cfg(not(target_os = "linux"))]
pub fn paint_without_compositing(_app: &tauri::App) {}
