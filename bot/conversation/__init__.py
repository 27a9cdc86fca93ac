"""The conversation core every channel runs, in parts with one job each.

- :mod:`bot.assistant` - the entry points and the one place a user's turns are
  serialised (lock, load, re-delivered updates and stale buttons, respond, commit);
- :mod:`~bot.conversation.turn` - what a person sent (:class:`Incoming`) and what a turn
  says back (:class:`Turn`);
- :mod:`~bot.conversation.commands` - the command table: each command's name, handler and
  help text, from which the menu of commands and ``/help`` are generated;
- :mod:`~bot.conversation.questions`, :mod:`~bot.conversation.hubs`,
  :mod:`~bot.conversation.forms` - the responders for questions, hub searches and forms;
- :mod:`~bot.conversation.submission` - an application assembled from the form's declared
  roles, its confirmation and its delivery as the applicant sees it;
- :mod:`~bot.conversation.notify_requests` - requests to be told when applications open;
- :mod:`~bot.conversation.texts` - the copy people read.
"""
