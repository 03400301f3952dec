import { mount } from "svelte";
import App from "./App.svelte";
import "./styles.css";
import { app } from "./lib/app.svelte";
import { watchOpened } from "./lib/opened";

mount(App, { target: document.getElementById("app") as HTMLElement });
// Links and files other apps handed Ferry are shown once the window has its first folder.
void app.start().then(() => watchOpened());
