//! `corkboard admin …`: admin accounts from the command line.

use std::io::BufRead;

use crate::config::{AdminArgs, AdminCommand};
use crate::db::{self, queries};

/// Runs an admin command; the message to print, or the error.
pub fn admin(args: AdminArgs) -> Result<String, String> {
    let (_, pool) = db::connect(&args.database.url, 2)?;
    let mut conn = db::checkout(&pool).map_err(|e| e.to_string())?;
    // the operator at the command line sees the detail a client would not
    let fail = |e: crate::error::Error| match &e {
        crate::error::Error::Internal(detail) | crate::error::Error::DatabaseDown(detail) => {
            format!("{}: {detail}", e.public_message())
        }
        _ => e.public_message(),
    };
    // the change is made: a trail that cannot be written is said, not fatal
    let trail = |conn: &mut db::DbConnection, action: &str, username: &str| {
        if let Err(e) = audit(conn, action, username) {
            log::warn!(
                "{action} {username}: not recorded in the audit trail: {}",
                fail(e)
            );
        }
    };
    match args.command {
        AdminCommand::Create { username } => {
            crate::auth::validate_username(&username).map_err(fail)?;
            let password = match std::env::var("CORKBOARD_ADMIN_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let mut line = String::new();
                    std::io::stdin()
                        .lock()
                        .read_line(&mut line)
                        .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let row = queries::AdminRow {
                password_hash: crate::auth::hash_password(&password).map_err(fail)?,
                username: username.clone(),
                created_at: crate::actors::board::now_rfc3339(),
            };
            queries::create_admin(&mut conn, &row).map_err(fail)?;
            trail(&mut conn, "admin-create", &username);
            Ok(format!("admin {username} created"))
        }
        AdminCommand::List => {
            let admins = queries::list_admins(&mut conn).map_err(fail)?;
            Ok(admins
                .iter()
                .map(|a| format!("{}\t{}", a.username, a.created_at))
                .collect::<Vec<_>>()
                .join("\n"))
        }
        AdminCommand::Delete { username } => {
            if queries::delete_admin(&mut conn, &username).map_err(fail)? {
                trail(&mut conn, "admin-delete", &username);
                Ok(format!("admin {username} deleted"))
            } else {
                Err(format!("no admin {username}"))
            }
        }
    }
}

/// Records a CLI action in the admin audit trail: by the operating
/// system's user (the command line has no admin), from "cli".
fn audit(conn: &mut db::DbConnection, action: &str, username: &str) -> crate::error::Result<()> {
    let by = ["SUDO_USER", "USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
        .map_or_else(|| "cli".to_owned(), |u| format!("{u} (cli)"));
    queries::record_audit(
        conn,
        &queries::NewAudit {
            at: crate::actors::board::now_rfc3339(),
            admin: by,
            address: "cli".into(),
            action: action.into(),
            board_id: None,
            detail: format!("admin {username}"),
        },
    )
}
