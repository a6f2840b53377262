// Progressive enhancements only: every action works without JavaScript.
