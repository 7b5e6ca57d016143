from django.db import models


class Team(models.Model):
    """A second model to judge with a ModelConditionSet of its own."""

    name = models.CharField(max_length=50)
    plan = models.CharField(max_length=20, default="free")

    def __str__(self):
        return self.name
