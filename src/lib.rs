//! warroom: an incident-response on-call dashboard for the terminal.
