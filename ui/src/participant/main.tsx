import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { ParticipantApp } from "./ParticipantApp";
import "../styles.css";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <ParticipantApp />
  </StrictMode>,
);
