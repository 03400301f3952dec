import { mount } from "svelte";
import App from "./App.svelte";
import "./styles.css";
import { app } from "./lib/app.svelte";

mount(App, { target: document.getElementById("app") as HTMLElement });
void app.start();
