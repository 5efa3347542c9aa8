//! The bots service in the real binary, on both stacks: bot accounts over Hybrid's API, and
//! the Telegram Bot API answering as Telegram's server does (parameters in every encoding,
//! errors, updates with offsets and long polls, messages both ways, privacy mode, flood
//! limits). `cargo test --workspace` builds the binary first.

use hybrid_testkit::{Stack, TestServer, assert_error, hybrid_binary, json_of, stack_tests, until};
use serde_json::json;

mod support;
use support::{
    assert_bot_error, call, chat, direct_chat, group_id, make_bot, message_in, ok, say, text_updates, updates,
};

stack_tests!(
    owners_make_rename_and_delete_their_bots,
    the_bot_api_reads_parameters_as_telegram_does,
    a_bot_and_a_person_talk,
    updates_follow_telegrams_offsets_and_polls,
    privacy_mode_and_channels,
    flood_limits_answer_429_with_retry_after,
    people_press_a_bots_buttons
);

async fn owners_make_rename_and_delete_their_bots(stack: Stack) {
    let server = TestServer::start(&hybrid_binary(), stack).await;
    let amy = server.register("amy").await;
    let bob = server.register("bob").await;
    let token = Some(amy.access_token.as_str());
    let (status, bot) = server
        .post("/api/v1/bots", token, json!({"username": "Echo_Bot", "name": "Echo"}))
        .await;
    assert_eq!(status, 201, "{bot}");
    let id = bot["id"].as_i64().unwrap();
    assert_eq!(
        (bot["username"].as_str(), bot["name"].as_str(), &bot["privacy"]),
        (Some("echo_bot"), Some("Echo"), &json!(true))
    );
    let first = bot["token"].as_str().unwrap().to_owned();
    assert_eq!(
        first.split_once(':').unwrap().0,
        id.to_string(),
        "the token names the bot"
    );
    // the bot is a user people can find, marked as a bot
    let (_, profile) = server.get(&format!("/api/v1/users/{id}"), token).await;
    assert_eq!(
        (profile["is_bot"].as_bool(), profile["display_name"].as_str()),
        (Some(true), Some("Echo"))
    );
    let me = ok(&server, &first, "getMe", json!({})).await;
    assert_eq!(me["id"], id);
    assert_eq!(
        (
            me["is_bot"].as_bool(),
            me["first_name"].as_str(),
            me["username"].as_str()
        ),
        (Some(true), Some("Echo"), Some("echo_bot"))
    );
    assert_eq!(me["can_read_all_group_messages"], false);

    // refused: bad names, a taken one, no token
    let bad = server
        .post("/api/v1/bots", token, json!({"username": "echo", "name": "E"}))
        .await;
    assert_error(&bad, 422, "validation_failed", Some("username"));
    let unnamed = server
        .post("/api/v1/bots", token, json!({"username": "x_bot", "name": "  "}))
        .await;
    assert_error(&unnamed, 422, "validation_failed", Some("name"));
    let taken = server
        .post("/api/v1/bots", token, json!({"username": "echo_bot", "name": "E"}))
        .await;
    assert_error(&taken, 409, "username_taken", Some("username"));
    let anonymous = server
        .post("/api/v1/bots", None, json!({"username": "y_bot", "name": "Y"}))
        .await;
    assert_error(&anonymous, 401, "unauthorized", None);
    let taken_by_person = server
        .post("/api/v1/bots", token, json!({"username": "bob", "name": "B"}))
        .await;
    assert_error(&taken_by_person, 422, "validation_failed", Some("username"));

    // listed, paged, only to the owner; the token is never shown again
    make_bot(&server, &amy, "second_bot", "Second").await;
    let (_, page) = server.get("/api/v1/bots?limit=1", token).await;
    assert_eq!(page["items"][0]["id"], id);
    assert!(page["items"][0].get("token").is_none(), "{page}");
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, rest) = server
        .get(&format!("/api/v1/bots?limit=1&cursor={cursor}"), token)
        .await;
    assert_eq!(rest["items"][0]["username"], "second_bot");
    assert!(rest["next_cursor"].is_null());
    let (_, theirs) = server.get("/api/v1/bots", Some(&bob.access_token)).await;
    assert_eq!(theirs["items"], json!([]));
    let foreign = server.get(&format!("/api/v1/bots/{id}"), Some(&bob.access_token)).await;
    assert_error(&foreign, 404, "not_found", None);

    // renamed and privacy off: getMe tells
    let (status, renamed) = server
        .request(
            "PATCH",
            &format!("/api/v1/bots/{id}"),
            token,
            Some(json!({"name": "Echo Two", "privacy": false})),
        )
        .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(
        (renamed["name"].as_str(), &renamed["privacy"]),
        (Some("Echo Two"), &json!(false))
    );
    let me = ok(&server, &first, "getMe", json!({})).await;
    assert_eq!(
        (me["first_name"].as_str(), &me["can_read_all_group_messages"]),
        (Some("Echo Two"), &json!(true))
    );

    // a new token: the old one stops at once
    let (status, renewed) = server.post(&format!("/api/v1/bots/{id}/token"), token, json!({})).await;
    assert_eq!(status, 200, "{renewed}");
    let second = renewed["token"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    assert_bot_error(&call(&server, &first, "getMe", json!({})).await, 401, "Unauthorized");
    ok(&server, &second, "getMe", json!({})).await;

    // deleted: the token and the bot are gone
    let foreign = server
        .request("DELETE", &format!("/api/v1/bots/{id}"), Some(&bob.access_token), None)
        .await;
    assert_error(&foreign, 404, "not_found", None);
    let (status, _) = server
        .request("DELETE", &format!("/api/v1/bots/{id}"), token, None)
        .await;
    assert_eq!(status, 204);
    assert_bot_error(&call(&server, &second, "getMe", json!({})).await, 401, "Unauthorized");
    let gone = server.get(&format!("/api/v1/bots/{id}"), token).await;
    assert_error(&gone, 404, "not_found", None);
}

async fn the_bot_api_reads_parameters_as_telegram_does(stack: Stack) {
    let server = TestServer::start(&hybrid_binary(), stack).await;
    let amy = server.register("amy").await;
    let (id, token) = make_bot(&server, &amy, "params_bot", "Params").await;
    let url = |method: &str| server.url(&format!("/bot{token}/{method}"));
    let answer = |response| async move { json_of(response).await };
    // GET with nothing, a method name in any case, an empty POST without a content type
    let (status, me) = answer(server.http.get(url("getMe")).send().await.unwrap()).await;
    assert_eq!((status.as_u16(), &me["result"]["id"]), (200, &json!(id)), "{me}");
    let (status, _) = answer(server.http.post(url("GETME")).send().await.unwrap()).await;
    assert_eq!(status, 200);
    // commands in JSON, a form, multipart and the query string, every value as text
    let commands = json!([{"command": "start", "description": "Start"}, {"command": "help", "description": "Help"}]);
    let set = server
        .http
        .post(url("setMyCommands"))
        .json(&json!({"commands": commands}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer(set).await.1["result"], true);
    let listed = ok(&server, &token, "getMyCommands", json!({})).await;
    assert_eq!(listed, commands);
    let form = server
        .http
        .post(url("setMyCommands"))
        .form(&[
            ("commands", r#"[{"command":"ru","description":"Русский"}]"#),
            ("language_code", "ru"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer(form).await.1["result"], true);
    let multipart = reqwest::multipart::Form::new().text("language_code", "ru");
    let (_, ru) = answer(
        server
            .http
            .post(url("getMyCommands"))
            .multipart(multipart)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(ru["result"][0]["description"], "Русский");
    let (_, by_query) = answer(
        server
            .http
            .get(format!("{}?language_code=ru", url("getMyCommands")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(by_query["result"], ru["result"]);
    ok(&server, &token, "deleteMyCommands", json!({"language_code": "ru"})).await;
    assert_eq!(
        ok(&server, &token, "getMyCommands", json!({"language_code": "ru"})).await,
        json!([])
    );
    assert_eq!(ok(&server, &token, "logOut", json!({})).await, true);
    assert_eq!(ok(&server, &token, "close", json!({})).await, true);

    // errors: Telegram's codes and words
    assert_bot_error(&call(&server, &token, "sendSticker", json!({})).await, 404, "Not Found");
    assert_bot_error(
        &call(&server, "1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "getMe", json!({})).await,
        401,
        "Unauthorized",
    );
    assert_bot_error(
        &call(&server, "not-a-token", "getMe", json!({})).await,
        401,
        "Unauthorized",
    );
    assert_bot_error(
        &call(&server, &token, "sendMessage", json!({"text": "hi"})).await,
        400,
        "Bad Request: chat_id is empty",
    );
    assert_bot_error(
        &call(&server, &token, "sendMessage", json!({"chat_id": -5, "text": "hi"})).await,
        400,
        "Bad Request: chat not found",
    );
    assert_bot_error(
        &call(
            &server,
            &token,
            "setMyCommands",
            json!({"commands": [{"command": "Bad Name", "description": "x"}]}),
        )
        .await,
        400,
        "Bad Request: BOT_COMMAND_INVALID",
    );
    assert_bot_error(
        &call(&server, &token, "getUpdates", json!({"limit": "many"})).await,
        400,
        "Bad Request: field \"limit\" must be of type Integer",
    );
    let broken = server
        .http
        .post(url("getMe"))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_bot_error(&answer(broken).await, 400, "Bad Request: can't parse JSON object");
    // a person who never wrote to the bot cannot be written to first
    assert_bot_error(
        &call(&server, &token, "sendMessage", json!({"chat_id": amy.id, "text": "hi"})).await,
        403,
        "Forbidden: bot can't initiate conversation with a user",
    );
}

async fn a_bot_and_a_person_talk(stack: Stack) {
    let server = TestServer::start(&hybrid_binary(), stack).await;
    let amy = server.register("amy").await;
    let (bot_id, token) = make_bot(&server, &amy, "talk_bot", "Talk").await;
    let dm = direct_chat(&server, &amy, bot_id).await;
    let hello = say(&server, &amy, dm, "👋 /start now").await;
    let got = updates(&server, &token, 0, 1).await;
    let message = &got[0]["message"];
    assert!(got[0]["update_id"].as_i64().unwrap() > 0);
    assert_eq!(message["message_id"], hello);
    assert_eq!(
        message["chat"],
        json!({"id": amy.id, "type": "private", "username": "amy", "first_name": "amy"})
    );
    assert_eq!(message["from"]["id"], amy.id);
    assert_eq!(message["text"], "👋 /start now");
    // UTF-16 offsets: the emoji is two units, then a space
    assert_eq!(
        message["entities"],
        json!([{"type": "bot_command", "offset": 3, "length": 6}])
    );
    let date = message["date"].as_i64().unwrap();
    assert!(
        (1_600_000_000..4_000_000_000).contains(&date),
        "seconds, not milliseconds: {date}"
    );

    // the bot answers in HTML, replying; the person sees bold text and the reply
    let sent = ok(
        &server,
        &token,
        "sendMessage",
        json!({"chat_id": amy.id, "text": "<b>Hi</b>, Amy &amp; co", "parse_mode": "HTML",
               "reply_parameters": {"message_id": hello}}),
    )
    .await;
    assert_eq!(sent["text"], "Hi, Amy & co");
    assert_eq!(sent["entities"], json!([{"type": "bold", "offset": 0, "length": 2}]));
    assert_eq!(sent["from"]["id"], bot_id);
    assert_eq!(sent["chat"]["id"], amy.id);
    let seq = sent["message_id"].as_i64().unwrap();
    let shown = message_in(&server, &amy, dm, seq).await;
    assert_eq!(
        (shown["sender_id"].as_i64(), shown["reply_to"].as_i64()),
        (Some(bot_id), Some(hello))
    );
    assert_eq!(shown["entities"][0]["type"], "bold");

    // editing: a change, then the same again is "not modified"; someone else's is refused
    let edited = ok(
        &server,
        &token,
        "editMessageText",
        json!({"chat_id": amy.id, "message_id": seq, "text": "Hi again"}),
    )
    .await;
    assert_eq!(edited["text"], "Hi again");
    assert!(edited["edit_date"].as_i64().is_some());
    let same = call(
        &server,
        &token,
        "editMessageText",
        json!({"chat_id": amy.id, "message_id": seq, "text": "Hi again"}),
    )
    .await;
    assert_eq!(same.0, 400);
    assert!(
        same.1["description"]
            .as_str()
            .unwrap()
            .starts_with("Bad Request: message is not modified"),
        "{}",
        same.1
    );
    assert_bot_error(
        &call(
            &server,
            &token,
            "editMessageText",
            json!({"chat_id": amy.id, "message_id": hello, "text": "x"}),
        )
        .await,
        400,
        "Bad Request: message can't be edited",
    );
    assert_bot_error(
        &call(
            &server,
            &token,
            "editMessageText",
            json!({"chat_id": amy.id, "message_id": 999, "text": "x"}),
        )
        .await,
        400,
        "Bad Request: message to edit not found",
    );
    // bad formatting is Telegram's error, and nothing is sent
    let bad = call(
        &server,
        &token,
        "sendMessage",
        json!({"chat_id": amy.id, "text": "<b>open", "parse_mode": "HTML"}),
    )
    .await;
    assert_eq!(bad.0, 400);
    assert!(
        bad.1["description"]
            .as_str()
            .unwrap()
            .starts_with("Bad Request: can't parse entities"),
        "{}",
        bad.1
    );
    assert_bot_error(
        &call(
            &server,
            &token,
            "sendMessage",
            json!({"chat_id": amy.id, "text": "x".repeat(4097)}),
        )
        .await,
        400,
        "Bad Request: message is too long",
    );

    // chat actions, reactions, pins, forwarding, copying, deleting
    assert_eq!(
        ok(
            &server,
            &token,
            "sendChatAction",
            json!({"chat_id": amy.id, "action": "typing"})
        )
        .await,
        true
    );
    assert_bot_error(
        &call(
            &server,
            &token,
            "sendChatAction",
            json!({"chat_id": amy.id, "action": "dancing"}),
        )
        .await,
        400,
        "Bad Request: wrong parameter action in request",
    );
    let react = json!({"chat_id": amy.id, "message_id": hello, "reaction": [{"type": "emoji", "emoji": "👍"}]});
    assert_eq!(ok(&server, &token, "setMessageReaction", react).await, true);
    let (_, reactions) = server
        .get(
            &format!("/api/v1/chats/{dm}/messages/{hello}/reactions"),
            Some(&amy.access_token),
        )
        .await;
    assert_eq!(reactions["👍"], json!([bot_id]), "{reactions}");
    assert_eq!(
        ok(
            &server,
            &token,
            "pinChatMessage",
            json!({"chat_id": amy.id, "message_id": seq})
        )
        .await,
        true
    );
    let (_, pins) = server
        .get(&format!("/api/v1/chats/{dm}/pins"), Some(&amy.access_token))
        .await;
    assert_eq!(pins[0]["seq"], seq, "{pins}");
    let forwarded = ok(
        &server,
        &token,
        "forwardMessage",
        json!({"chat_id": amy.id, "from_chat_id": amy.id, "message_id": hello}),
    )
    .await;
    assert_eq!(forwarded["forward_origin"]["sender_user"]["id"], amy.id);
    let copied = ok(
        &server,
        &token,
        "copyMessage",
        json!({"chat_id": amy.id, "from_chat_id": amy.id, "message_id": hello}),
    )
    .await;
    let copy = copied["message_id"].as_i64().unwrap();
    assert_eq!(
        ok(
            &server,
            &token,
            "deleteMessage",
            json!({"chat_id": amy.id, "message_id": copy})
        )
        .await,
        true
    );
    assert_bot_error(
        &call(
            &server,
            &token,
            "deleteMessage",
            json!({"chat_id": amy.id, "message_id": copy}),
        )
        .await,
        400,
        "Bad Request: message to delete not found",
    );
    let chat = ok(&server, &token, "getChat", json!({"chat_id": amy.id})).await;
    assert_eq!(
        (chat["id"].as_i64(), chat["type"].as_str()),
        (Some(amy.id), Some("private"))
    );
}

async fn updates_follow_telegrams_offsets_and_polls(stack: Stack) {
    let server = TestServer::start(&hybrid_binary(), stack).await;
    let amy = server.register("amy").await;
    let (bot_id, token) = make_bot(&server, &amy, "poll_bot", "Poll").await;
    let dm = direct_chat(&server, &amy, bot_id).await;
    for text in ["one", "two", "three"] {
        say(&server, &amy, dm, text).await;
    }
    let all = updates(&server, &token, 0, 3).await;
    let ids: Vec<i64> = all.iter().map(|u| u["update_id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[1] > w[0]), "increasing: {ids:?}");
    // a negative offset keeps the last ones; a positive one confirms what is below it
    let last = ok(&server, &token, "getUpdates", json!({"offset": -1})).await;
    assert_eq!(last.as_array().unwrap().len(), 1);
    assert_eq!(last[0]["message"]["text"], "three");
    let none = ok(&server, &token, "getUpdates", json!({"offset": ids[2] + 1})).await;
    assert_eq!(none, json!([]));
    let still = ok(&server, &token, "getUpdates", json!({})).await;
    assert_eq!(still, json!([]), "confirmed updates are gone");
    // a deleted message takes its queued update with it; an edit is an edited_message
    let gone = say(&server, &amy, dm, "oops").await;
    let kept = say(&server, &amy, dm, "kept").await;
    updates(&server, &token, 0, 2).await;
    let (status, _) = server
        .request(
            "DELETE",
            &format!("/api/v1/chats/{dm}/messages/{gone}"),
            Some(&amy.access_token),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = server
        .request(
            "PATCH",
            &format!("/api/v1/chats/{dm}/messages/{kept}"),
            Some(&amy.access_token),
            Some(json!({"text": "kept!"})),
        )
        .await;
    assert_eq!(status, 200);
    let after = until("the edit, without the deleted message", || async {
        let list = ok(&server, &token, "getUpdates", json!({})).await;
        let list = list.as_array().unwrap().clone();
        list.iter().any(|u| u.get("edited_message").is_some()).then_some(list)
    })
    .await;
    let texts: Vec<&str> = after
        .iter()
        .map(|u| {
            u.get("message").or(u.get("edited_message")).unwrap()["text"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(texts, ["kept", "kept!"]);
    // allowed_updates is remembered: with only messages, edits stop coming
    let next = after.last().unwrap()["update_id"].as_i64().unwrap() + 1;
    ok(
        &server,
        &token,
        "getUpdates",
        json!({"offset": next, "allowed_updates": ["message"]}),
    )
    .await;
    let (status, _) = server
        .request(
            "PATCH",
            &format!("/api/v1/chats/{dm}/messages/{kept}"),
            Some(&amy.access_token),
            Some(json!({"text": "kept!!"})),
        )
        .await;
    assert_eq!(status, 200);
    say(&server, &amy, dm, "plain").await;
    let only = updates(&server, &token, next, 1).await;
    assert_eq!(only.len(), 1);
    assert_eq!(only[0]["message"]["text"], "plain");
    // kinds of newer Bot API versions are accepted (and never come)
    let newer = json!({"offset": only[0]["update_id"], "allowed_updates": ["message", "managed_bot", "guest_message"]});
    assert_eq!(
        ok(&server, &token, "getUpdates", newer).await[0]["message"]["text"],
        "plain"
    );
    let next = only[0]["update_id"].as_i64().unwrap() + 1;
    // a long poll answers as soon as an update exists
    let poll = {
        let (server_url, token) = (server.url(""), token.clone());
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            let response = client
                .post(format!("{server_url}/bot{token}/getUpdates"))
                .json(&json!({"offset": next, "timeout": 40}))
                .send()
                .await
                .unwrap();
            json_of(response).await
        })
    };
    wait_for_poll(&server).await;
    say(&server, &amy, dm, "wake up").await;
    let (status, woke) = poll.await.unwrap();
    assert_eq!(status, 200, "{woke}");
    assert_eq!(woke["result"][0]["message"]["text"], "wake up");
    // a newer poll ends an older one with 409
    let next = woke["result"][0]["update_id"].as_i64().unwrap() + 1;
    let older = {
        let (server_url, token) = (server.url(""), token.clone());
        tokio::spawn(async move {
            let response = reqwest::Client::new()
                .post(format!("{server_url}/bot{token}/getUpdates"))
                .json(&json!({"offset": next, "timeout": 40}))
                .send()
                .await
                .unwrap();
            json_of(response).await
        })
    };
    wait_for_poll(&server).await;
    let newer = ok(&server, &token, "getUpdates", json!({"offset": next, "timeout": 0})).await;
    assert_eq!(newer, json!([]));
    let (status, ended) = older.await.unwrap();
    assert_eq!(status, 409, "{ended}");
    assert_eq!(
        ended["description"],
        "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
    );
    // what waits shows in getWebhookInfo, and deleteWebhook may drop it
    say(&server, &amy, dm, "pending").await;
    updates(&server, &token, next, 1).await;
    let info = ok(&server, &token, "getWebhookInfo", json!({})).await;
    assert_eq!(
        info,
        json!({"url": "", "has_custom_certificate": false, "pending_update_count": 1,
               "allowed_updates": ["message", "managed_bot", "guest_message"]})
    );
    ok(&server, &token, "deleteWebhook", json!({"drop_pending_updates": true})).await;
    let info = ok(&server, &token, "getWebhookInfo", json!({})).await;
    assert_eq!(info["pending_update_count"], 0);
}

/// Waits until a long poll is waiting in the server (`bot_long_polls` in its metrics).
async fn wait_for_poll(server: &TestServer) {
    until("the long poll to be waiting", || async {
        let metrics = server.metrics().await;
        metrics
            .lines()
            .any(|line| line.starts_with("bot_long_polls ") && line != "bot_long_polls 0")
            .then_some(())
    })
    .await;
}

async fn privacy_mode_and_channels(stack: Stack) {
    let server = TestServer::start(&hybrid_binary(), stack).await;
    let amy = server.register("amy").await;
    let bob = server.register("bob").await;
    let (bot_id, token) = make_bot(&server, &amy, "quiet_bot", "Quiet").await;
    let group = chat(&server, &amy, "group", "Team", &[bob.id, bot_id]).await;
    say(&server, &bob, group, "just chatting").await;
    say(&server, &bob, group, "/help@other_bot").await;
    say(&server, &bob, group, "/help@quiet_bot please").await;
    say(&server, &bob, group, "hey @quiet_bot").await;
    let bot_said = ok(
        &server,
        &token,
        "sendMessage",
        json!({"chat_id": group_id(group), "text": "I am here"}),
    )
    .await;
    assert_eq!(
        bot_said["chat"],
        json!({"id": group_id(group), "type": "supergroup", "title": "Team"})
    );
    let (status, _) = server
        .post(
            &format!("/api/v1/chats/{group}/messages"),
            Some(&bob.access_token),
            json!({"text": "replying", "reply_to": bot_said["message_id"]}),
        )
        .await;
    assert!(status.is_success());
    let seen = text_updates(&server, &token, 0, 3).await;
    let texts: Vec<&str> = seen.iter().map(|u| u["message"]["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["/help@quiet_bot please", "hey @quiet_bot", "replying"]);
    assert_eq!(seen[2]["message"]["reply_to_message"]["text"], "I am here");
    assert_eq!(seen[0]["message"]["chat"]["id"], group_id(group));
    // privacy off: everything
    let (status, _) = server
        .request(
            "PATCH",
            &format!("/api/v1/bots/{bot_id}"),
            Some(&amy.access_token),
            Some(json!({"privacy": false})),
        )
        .await;
    assert_eq!(status, 200);
    let next = seen[2]["update_id"].as_i64().unwrap() + 1;
    say(&server, &bob, group, "now you hear me").await;
    let heard = text_updates(&server, &token, next, 1).await;
    assert_eq!(heard[0]["message"]["text"], "now you hear me");
    // a channel's posts reach a bot in it as channel_post, from the channel itself
    let channel = chat(&server, &amy, "channel", "News", &[bot_id]).await;
    let next = heard[0]["update_id"].as_i64().unwrap() + 1;
    say(&server, &amy, channel, "Issue 1").await;
    let posts = text_updates(&server, &token, next, 1).await;
    let post = &posts[0]["channel_post"];
    assert_eq!(post["text"], "Issue 1");
    assert_eq!(post["chat"]["type"], "channel");
    assert_eq!(post["sender_chat"]["id"], group_id(channel));
    assert!(post.get("from").is_none(), "{post}");
    // a subscriber cannot post; made an admin, the bot posts to the channel
    let post = json!({"chat_id": group_id(channel), "text": "Issue 2"});
    let refused = call(&server, &token, "sendMessage", post.clone()).await;
    assert_eq!(refused.0, 403, "{}", refused.1);
    let (status, _) = server
        .request(
            "PATCH",
            &format!("/api/v1/chats/{channel}/members/{bot_id}"),
            Some(&amy.access_token),
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!(status, 200);
    let posted = ok(&server, &token, "sendMessage", post).await;
    assert_eq!(
        (posted["chat"]["type"].as_str(), posted["text"].as_str()),
        (Some("channel"), Some("Issue 2"))
    );
    let shown = message_in(&server, &amy, channel, posted["message_id"].as_i64().unwrap()).await;
    assert_eq!(shown["sender_id"], bot_id);
}

async fn flood_limits_answer_429_with_retry_after(stack: Stack) {
    let env = [
        ("HYBRID_BOTS__MESSAGES_PER_CHAT", "2"),
        ("HYBRID_BOTS__CHAT_WINDOW_SECS", "30"),
    ];
    let server = TestServer::start_with(&hybrid_binary(), stack, &env).await;
    let amy = server.register("amy").await;
    let (bot_id, token) = make_bot(&server, &amy, "fast_bot", "Fast").await;
    direct_chat(&server, &amy, bot_id).await;
    let send = json!({"chat_id": amy.id, "text": "spam"});
    ok(&server, &token, "sendMessage", send.clone()).await;
    ok(&server, &token, "sendMessage", send.clone()).await;
    let (status, flood) = call(&server, &token, "sendMessage", send).await;
    assert_eq!(status, 429, "{flood}");
    let retry_after = flood["parameters"]["retry_after"].as_i64().unwrap();
    assert!((1..=30).contains(&retry_after), "{flood}");
    assert_eq!(
        flood["description"],
        format!("Too Many Requests: retry after {retry_after}")
    );
    // what was refused was not sent
    let (_, history) = server
        .get(
            &format!("/api/v1/chats/{}/messages", direct_chat(&server, &amy, bot_id).await),
            Some(&amy.access_token),
        )
        .await;
    let count = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["text"] == "spam")
        .count();
    assert_eq!(count, 2);
}

async fn people_press_a_bots_buttons(stack: Stack) {
    let env = [("HYBRID_BOTS__CALLBACK_WAIT_MS", "2000")];
    let server = TestServer::start_with(&hybrid_binary(), stack, &env).await;
    let amy = server.register("amy").await;
    let bob = server.register("bob").await;
    let (bot_id, token) = make_bot(&server, &amy, "vote_bot", "Vote").await;
    let dm = direct_chat(&server, &amy, bot_id).await;
    let keyboard = json!({"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}, {"text": "Site", "url": "https://example.com"}]]});
    // a keyboard may come as JSON text, as form-encoding libraries send it
    let sent = ok(
        &server,
        &token,
        "sendMessage",
        json!({"chat_id": amy.id, "text": "Vote?", "reply_markup": keyboard.to_string()}),
    )
    .await;
    assert_eq!(sent["reply_markup"], keyboard);
    let seq = sent["message_id"].as_i64().unwrap();
    // people see the buttons in Hybrid's own API
    let shown = message_in(&server, &amy, dm, seq).await;
    assert_eq!(shown["reply_markup"], keyboard);
    assert_bot_error(
        &call(&server, &token, "sendMessage", json!({"chat_id": amy.id, "text": "x", "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "x".repeat(65)}]]}})).await,
        400,
        "Bad Request: BUTTON_DATA_INVALID",
    );

    // a press waits for the bot's answer
    let press = |data: &'static str, user: String| {
        let (url, path) = (server.url(""), format!("/api/v1/chats/{dm}/messages/{seq}/callback"));
        tokio::spawn(async move {
            hybrid_testkit::Api::new(url)
                .post(&path, Some(&user), json!({"data": data}))
                .await
        })
    };
    let pressed = press("yes", amy.access_token.clone());
    let got = updates(&server, &token, 0, 1).await;
    let query = &got[0]["callback_query"];
    assert_eq!(
        (query["data"].as_str(), query["from"]["id"].as_i64()),
        (Some("yes"), Some(amy.id))
    );
    assert_eq!(query["message"]["message_id"], seq);
    assert!(query["chat_instance"].as_str().is_some_and(|c| !c.is_empty()));
    let id = query["id"].as_str().unwrap().to_owned();
    let answer = json!({"callback_query_id": id, "text": "Counted", "show_alert": true});
    assert_eq!(ok(&server, &token, "answerCallbackQuery", answer.clone()).await, true);
    let (status, answered) = pressed.await.unwrap();
    assert_eq!(status, 200, "{answered}");
    assert_eq!(
        answered,
        json!({"answered": true, "text": "Counted", "show_alert": true})
    );
    // a query is answered once
    assert_bot_error(
        &call(&server, &token, "answerCallbackQuery", answer).await,
        400,
        "Bad Request: query is too old and response timeout expired or query ID is invalid",
    );
    // the bot edits its buttons away; an unanswered press ends with answered: false
    let next = got[0]["update_id"].as_i64().unwrap() + 1;
    let unanswered = press("yes", amy.access_token.clone());
    updates(&server, &token, next, 1).await;
    let (status, late) = unanswered.await.unwrap();
    assert_eq!(
        (status.as_u16(), late),
        (200, json!({"answered": false, "show_alert": false}))
    );
    let edited = ok(
        &server,
        &token,
        "editMessageReplyMarkup",
        json!({"chat_id": amy.id, "message_id": seq}),
    )
    .await;
    assert!(edited.get("reply_markup").is_none(), "{edited}");
    // refused: data no button has, someone who cannot see the message, a person's message
    let wrong = server
        .post(
            &format!("/api/v1/chats/{dm}/messages/{seq}/callback"),
            Some(&amy.access_token),
            json!({"data": "yes"}),
        )
        .await;
    assert_error(&wrong, 422, "validation_failed", Some("data"));
    let stranger = server
        .post(
            &format!("/api/v1/chats/{dm}/messages/{seq}/callback"),
            Some(&bob.access_token),
            json!({"data": "yes"}),
        )
        .await;
    assert_error(&stranger, 404, "not_found", None);
    let mine = say(&server, &amy, dm, "plain").await;
    let plain = server
        .post(
            &format!("/api/v1/chats/{dm}/messages/{mine}/callback"),
            Some(&amy.access_token),
            json!({"data": "yes"}),
        )
        .await;
    assert_error(&plain, 422, "validation_failed", Some("data"));
    // the command menu people see
    let commands = json!([{"command": "vote", "description": "Vote now"}]);
    ok(&server, &token, "setMyCommands", json!({"commands": commands})).await;
    let (status, menu) = server
        .get(&format!("/api/v1/bots/{bot_id}/commands"), Some(&bob.access_token))
        .await;
    assert_eq!((status.as_u16(), menu), (200, commands));
    let not_a_bot = server
        .get(&format!("/api/v1/bots/{}/commands", amy.id), Some(&bob.access_token))
        .await;
    assert_error(&not_a_bot, 404, "not_found", None);
}
