"""The alerter: turns the event log into incidents and notifications (DingTalk, WeCom, mail, webhooks)."""
