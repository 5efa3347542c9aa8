//! The frames the automation service sends to its users' sockets (through realtime's user topic).
//! The API reference lists them under `ServerFrame`; clients ignore types they do not know.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::{Contact, Parse};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type")]
pub enum AutomationFrame {
    /// A campaign of yours moved on: a contact's attempt was recorded (`contact`), or its
    /// state changed (finished, paused …). Fetch the campaign for its counters.
    #[serde(rename = "automation.campaign_updated")]
    CampaignUpdated {
        campaign_id: i64,
        state: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        contact: Option<Contact>,
    },
    /// A parse of yours read a page, or ended.
    #[serde(rename = "automation.parse_updated")]
    ParseUpdated { parse: Parse },
    /// A book of yours changed: read, renamed, deleted, a block summarised, a run stopped, or
    /// (`post_id`) a post made, written, edited or deleted. Fetch what you show of it.
    #[serde(rename = "automation.content_updated")]
    ContentUpdated {
        source_id: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        post_id: Option<i64>,
    },
    /// An autopost schedule of yours changed (started, stopped, edited, deleted), or
    /// (`publication_id`) a publication was made or one of its deliveries settled.
    #[serde(rename = "automation.autopost_updated")]
    AutopostUpdated {
        schedule_id: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        publication_id: Option<i64>,
    },
}
