//! Ferry's desktop app: a thin Tauri shell. Commands translate between the UI and
//! ferry-engine; the engine decides.

pub mod commands;
mod consent;
mod convert;
mod drag;
pub mod dto;
mod edits;
pub mod error;
mod grants;
mod jobs;
mod limits;
mod media;
mod opened;
mod pairs;
mod pulls;
pub mod state;
mod stream;
mod sync_view;
mod watch;
mod windows;

use std::sync::Arc;

use ferry_engine::secrets::{Keychain, SecretStore};
use tauri::{Manager, Wry};

use commands::{
    browse, import, look, objects, open, settings, storage_move, sync, system, transfer, updates,
};
pub use state::AppState;

/// Every command and event, for the invoke handler and the TypeScript bindings alike.
pub fn specta_builder() -> tauri_specta::Builder<Wry> {
    tauri_specta::Builder::<Wry>::new()
        .commands(tauri_specta::collect_commands![
            system::app_info,
            system::pick,
            system::clipboard_write,
            system::settings_open_file,
            system::window_title,
            system::window_open,
            settings::settings_get,
            settings::workspace_check,
            settings::workspace_save,
            settings::workspace_remove,
            settings::workspace_set_default,
            settings::workspace_test,
            settings::secret_clear,
            settings::transfer_prefs_save,
            settings::upload_preview,
            settings::drop_preview,
            import::workspace_import_pick,
            import::workspace_import_apply,
            storage_move::storage_move_plan,
            storage_move::storage_move_start,
            browse::list_open,
            browse::list_more,
            browse::list_close,
            browse::search_open,
            browse::folder_size_open,
            browse::folder_size_more,
            browse::folder_size_close,
            browse::properties,
            look::preview,
            look::preview_close,
            open::open_file,
            open::edit_resolve,
            open::edit_stop,
            open::drag_out,
            browse::folder_create,
            browse::delete_paths,
            browse::names_existing,
            browse::link,
            transfer::jobs_watch,
            transfer::transfer_conflicts,
            transfer::transfer_start,
            transfer::rename,
            transfer::job_pause,
            transfer::job_resume,
            transfer::job_cancel,
            transfer::job_retry,
            transfer::job_shift,
            transfer::jobs_pause_all,
            objects::versions_list,
            objects::deleted_list,
            objects::version_restore,
            objects::version_delete,
            objects::undelete,
            objects::versioning_get,
            objects::versioning_set,
            objects::archive_state,
            objects::archive_restore,
            objects::tags_get,
            objects::tags_set,
            objects::properties_edit,
            sync::sync_plan,
            sync::sync_pair_plan,
            sync::sync_estimate,
            sync::sync_run,
            sync::sync_forget,
            sync::sync_filter_count,
            sync::sync_pairs_get,
            sync::sync_pair_save,
            sync::sync_pair_remove,
            sync::sync_pair_run,
            sync::prices_get,
            sync::prices_save,
            opened::opened_take,
            import::workspace_import_opened,
            updates::update_check,
            updates::update_install,
        ])
        .events(tauri_specta::collect_events![
            watch::SettingsChanged,
            edits::EditSaved,
            edits::EditConflict,
            edits::EditFailed,
            pairs::PairsChanged,
            opened::OpenRequested
        ])
}

/// The TypeScript the UI imports (`ui/src/ipc/bindings.ts`).
pub fn bindings() -> String {
    use specta_typescript::Typescript;
    let file = std::env::temp_dir().join(format!("ferry-bindings-{}.ts", std::process::id()));
    specta_builder()
        .export(
            Typescript::default()
                .header("// Generated from src-tauri by tauri-specta; do not edit. Regenerate: scripts/bindings\n/* eslint-disable */\n// @ts-nocheck\n"),
            &file,
        )
        .expect("export TypeScript bindings");
    let text = std::fs::read_to_string(&file).expect("read exported bindings");
    let _ = std::fs::remove_file(&file);
    text
}

/// The app with `state`.
pub fn build(state: AppState) -> tauri::Builder<Wry> {
    let specta = specta_builder();
    let handler = specta.invoke_handler();
    tauri::Builder::<Wry>::new()
        // First: a second start on the same settings hands its command line (a link, a file)
        // to this one and ends.
        .plugin(
            tauri_plugin_single_instance::Builder::new()
                .callback(|app, args, cwd| {
                    let args = args.into_iter().skip(1).map(Into::into);
                    opened::accept(app, args, std::path::Path::new(&cwd));
                })
                .dbus_id(opened::instance_id(&state.config_dir))
                .build(),
        )
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_opener::init())
        // Its commands are not in the web view's capabilities: the app's own (commands/updates.rs)
        // check and install, with the settings' feed and key and a native confirmation.
        .plugin(tauri_plugin_updater::Builder::new().build())
        .manage(updates::Pending::default())
        .manage(state.clone())
        .register_asynchronous_uri_scheme_protocol(media::SCHEME, |ctx, request, responder| {
            let state = ctx.app_handle().state::<AppState>().inner().clone();
            let path = request.uri().path().to_string();
            let range = request
                .headers()
                .get(tauri::http::header::RANGE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            tauri::async_runtime::spawn(async move {
                responder.respond(media::serve(&state, &path, range.as_deref()).await);
            });
        })
        .invoke_handler(handler)
        .on_window_event(|window, event| match event {
            // Files dropped on the window become chosen paths (the web view only hears of them).
            tauri::WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) => {
                window
                    .state::<AppState>()
                    .grants
                    .grant_drop(paths.iter().cloned());
            }
            tauri::WindowEvent::Destroyed => {
                window.state::<AppState>().watchers.forget(window.label());
            }
            _ => {}
        })
        .setup(move |app| {
            specta.mount_events(app);
            let cwd = std::env::current_dir().unwrap_or_default();
            opened::accept(app.handle(), std::env::args_os().skip(1), &cwd);
            let state = app.state::<AppState>().inner().clone();
            tauri::async_runtime::spawn(async move {
                let address = stream::start(state.clone()).await;
                state.media.set_stream(address);
            });
            watch::spawn(
                app.handle().clone(),
                app.state::<AppState>().inner().clone(),
            );
            pairs::schedule(
                app.handle().clone(),
                app.state::<AppState>().inner().clone(),
            );
            Ok(())
        })
}

pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FERRY_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(|| ferry_engine::logs::LogWriter)
        // Colours only for a person at a terminal: a log file or a pipe gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let secrets: Arc<dyn SecretStore> = Arc::new(Keychain);
    let state = AppState::new(
        ferry_engine::settings::config_dir(None),
        ferry_engine::data_dir(),
        secrets,
    );
    build(state)
        .run(tauri::generate_context!())
        .expect("error while running Ferry");
}

#[cfg(test)]
mod tests {
    /// The UI's bindings are generated from the commands; CI fails when they drift.
    #[test]
    fn bindings_are_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/src/ipc/bindings.ts");
        let fresh = super::bindings();
        if std::env::var_os("FERRY_UPDATE_BINDINGS").is_some() {
            std::fs::write(path, &fresh).expect("write bindings");
            return;
        }
        let current = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            current == fresh,
            "ui/src/ipc/bindings.ts is out of date with src-tauri; run scripts/bindings"
        );
    }
}
