//! Trust decisions: which commits and which hosts the agent believes.
