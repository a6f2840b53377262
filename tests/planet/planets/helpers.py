"""A small planet with one person per standing, shared by the planets-area tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from planet.accounts.models import User
from planet.planets.models import Membership, MembershipStatus, Planet, Role


@dataclass
class World:
    planet: Planet
    other: Planet
    owner: User
    admin: User
    guest: User
    member: User
    outsider: User
    banned: User
    expired: User
    other_owner: User
    memberships: dict[str, Membership]


def build_world(make, **settings) -> World:
    owner = make.user(name="Owner")
    planet = make.planet(owner, slug="home-planet", name="Home", **settings)
    memberships = {}
    people = {}
    for role in (Role.ADMIN, Role.GUEST, Role.MEMBER):
        person = make.user(name=role.value.title())
        memberships[role.value] = make.member(planet, person, role=role)
        people[role.value] = person
    banned = make.user(name="Banned")
    memberships["banned"] = make.member(planet, banned, status=MembershipStatus.BANNED)
    expired = make.user(name="Expired")
    memberships["expired"] = make.member(planet, expired, expires_in=timedelta(seconds=-5))
    other_owner = make.user(name="Other owner")
    other = make.planet(other_owner, slug="other-planet", name="Other")
    return World(
        planet=planet,
        other=other,
        owner=owner,
        admin=people["admin"],
        guest=people["guest"],
        member=people["member"],
        outsider=make.user(name="Outsider"),
        banned=banned,
        expired=expired,
        other_owner=other_owner,
        memberships=memberships,
    )
