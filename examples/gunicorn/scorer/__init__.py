# scorer: a small Flask web service that scores Price War, a two-player
# business game; gunicorn serves scorer.web:app.
