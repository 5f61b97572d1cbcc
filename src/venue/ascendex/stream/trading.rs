//! Trading stream messages: auth, order requests and replies, order and balance pushes.
