"""A stand-in for a file manager's window in the drag-out test: a GTK window that takes file
drops and writes, for each drop, the dropped paths and each file's bytes as it found them then
(a JSON line). Run with the system Python (GTK's bindings):
    /usr/bin/python3 drop_target.py RECORD X Y"""
import json
import sys
from urllib.parse import unquote, urlparse

import gi

gi.require_version("Gdk", "3.0")
gi.require_version("Gtk", "3.0")
from gi.repository import Gdk, Gtk  # noqa: E402

record, x, y = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
window = Gtk.Window(title="Drop target")
window.set_default_size(260, 260)
window.move(x, y)
label = Gtk.Label(label="Drop files here")
window.add(label)
window.drag_dest_set(Gtk.DestDefaults.ALL, [], Gdk.DragAction.COPY)
window.drag_dest_add_uri_targets()


def received(_widget, _context, _x, _y, data, _info, _time):
    paths = [unquote(urlparse(u).path) for u in data.get_uris()]
    files = {}
    for p in paths:
        try:
            with open(p, "rb") as f:
                files[p] = f.read().decode("utf-8", "replace")
        except OSError as e:
            files[p] = f"unreadable: {e}"
    with open(record, "a") as out:
        out.write(json.dumps({"uris": data.get_uris(), "files": files}) + "\n")


window.connect("drag-data-received", received)
window.connect("destroy", Gtk.main_quit)
window.show_all()
# Ready: the test waits for this line before dragging.
print("ready", flush=True)
Gtk.main()
