//! Edit jobs: every object the source names (one, or all below a folder) is an item that
//! changes in place. Folder markers (`dir/`) hold no properties worth an edit and are left.

use ferry_storage::Entry;
use futures::stream::StreamExt;

use super::{NewItem, Sink, Source, objects};
use crate::error::Result;
use crate::transfer::item::Ctx;
use crate::transfer::{ItemAction, ItemState};

pub(in crate::transfer) async fn plan_edit(
    ctx: &Ctx,
    source: &Source,
    sink: &mut Sink,
) -> Result<()> {
    match source {
        Source::One(meta) => sink.push(edit_item(meta)).await?,
        Source::Folder(folder) => {
            let mut pages = objects(ctx.src.backend.as_ref(), folder);
            while let Some(page) = pages.next().await {
                for entry in page? {
                    if let Entry::Object(meta) = entry
                        && !meta.key.is_folder()
                    {
                        sink.push(edit_item(&meta)).await?;
                    }
                }
                sink.flush().await?;
            }
        }
    }
    sink.flush().await
}

fn edit_item(meta: &ferry_storage::ObjectMeta) -> NewItem {
    NewItem {
        action: ItemAction::Edit,
        source_key: meta.key.to_string(),
        dest_key: meta.key.to_string(),
        size: meta.size,
        modified: meta.last_modified.map(|t| t.to_string()),
        state: ItemState::Pending,
        note: None,
        version: None,
        expected: None,
        policy: None,
    }
}
