//! `corkboard admin …`: admin accounts from the command line.

use std::io::BufRead;

use crate::config::{AdminArgs, AdminCommand};
use crate::db::{self, queries};

/// Runs an admin command; the message to print, or the error.
pub fn admin(args: AdminArgs) -> Result<String, String> {
    let (_, pool) = db::connect(&args.database.url, 2)?;
    let mut conn = db::checkout(&pool).map_err(|e| e.to_string())?;
    let fail = |e: crate::error::Error| e.public_message();
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
                Ok(format!("admin {username} deleted"))
            } else {
                Err(format!("no admin {username}"))
            }
        }
    }
}
