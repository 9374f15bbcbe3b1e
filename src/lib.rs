//! Parc: a GLPI-compatible IT asset-management and helpdesk service for the Région's
//! lycées. See README.md for the architecture.

pub mod access;
pub mod app;
pub mod auth;
pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod directory;
pub mod entities;
pub mod interventions;
pub mod inventory;
pub mod items;
pub mod itemtypes;
pub mod reports;
pub mod telemetry;
pub mod tickets;
pub mod users;
pub mod web;
