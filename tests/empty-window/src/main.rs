//! A Tauri window showing an empty page, the same size as Boardroom's, and nothing else.

fn main() {
    tauri::Builder::default().run(tauri::generate_context!()).expect("the empty window runs");
}
