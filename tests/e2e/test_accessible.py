"""End to end: Boardroom is usable without a mouse and with a screen reader. axe-core (the npm
package, in the real browsers) finds no serious or critical violation on the participant page
— the join form, and the room with people, the transcript, a suggestion waiting and a card
open, at desktop and phone size — nor in the window, with its room started and each of its
dialogs open; and the Tab key alone reaches every control on both."""

import json
from pathlib import Path

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import FAKE_KEY, Window
from rig import Host, make_wav

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

# Every rule axe-core has, with the experimental ones (a visible label that differs from the
# accessible name is one), reported at the impacts that stop people: serious and critical.
RUN_AXE = """
const done = arguments[arguments.length - 1];
const experimental = axe.getRules(["experimental"]).map((rule) => [rule.ruleId, { enabled: true }]);
axe.run(document, { rules: Object.fromEntries(experimental), resultTypes: ["violations"] }).then(
  (result) => done(result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)),
  (error) => done([`axe-core failed: ${error}`]),
);
"""

# The controls a person can operate, as assistive technology sees them: native controls, anything
# with an interactive role and anything put in the tab order, shown and not disabled. (A control
# taken out of the tab order with tabindex=-1 is kept: only a mouse reaches it.)
CONTROLS = """
const interactive = 'a[href], button, input, select, textarea, summary, [role=button], [role=link], [role=checkbox], [role=radio], [role=switch], [role=tab], [role=menuitem], [role=slider], [tabindex]:not([tabindex="-1"])';
// Inside a closed <details> only its summary shows (WebKit still gives the rest boxes).
const folded = (e) => { const d = e.closest("details:not([open])"); return d && !(e.tagName === "SUMMARY" && e.parentElement === d); };
return [...document.querySelectorAll(interactive)].filter((e) => !e.disabled && !folded(e) && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden");
"""

# Radio buttons are one stop: Tab reaches the group, the arrow keys pick within it.
GROUP = "const e = arguments[0]; return e.type === 'radio' && e.name ? `radio:${e.name}` : null"


def axe_violations(driver) -> list[str]:
    driver.execute_script(AXE.read_text() + "\nreturn true;")
    return driver.execute_async_script(RUN_AXE)


def assert_accessible(driver, where: str):
    found = axe_violations(driver)
    assert found == [], f"{where}: axe-core finds {len(found)} serious or critical violations:\n" + "\n".join(found)


def name_of(driver, element) -> str:
    return driver.execute_script(
        "const e = arguments[0]; return `${e.tagName.toLowerCase()} “${(e.getAttribute('aria-label') || e.textContent || e.name || '').trim().slice(0, 60)}”`",
        element,
    )


def assert_reachable_by_tab(driver, where: str):
    """Presses Tab from the top of the page until focus comes round again, and checks that it
    stopped on every control the page shows (one that only a mouse can reach fails)."""
    controls = driver.execute_script(CONTROLS)
    assert controls, f"{where}: no controls found"
    driver.execute_script("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
    driver.find_element(By.TAG_NAME, "body").click()
    reached = []
    actions = ActionChains(driver)
    for _ in range(len(controls) + 20):
        actions.send_keys(Keys.TAB).perform()
        focused = driver.execute_script("return document.activeElement")
        if reached and focused == reached[0]:
            break
        reached.append(focused)
    groups = {driver.execute_script(GROUP, e) for e in reached} - {None}
    missed = [name_of(driver, c) for c in controls if c not in reached and driver.execute_script(GROUP, c) not in groups]
    assert missed == [], f"{where}: Tab never reaches {len(missed)} of {len(controls)} controls: {', '.join(missed)}"
    print(f"{where}: Tab reaches all {len(controls)} controls")


def test_the_participant_page_passes_axe_and_works_from_the_keyboard(tmp_path, data_dir, browsers, fake_realtime):
    host = Host(data_dir, "--microphone", "none", "--confirm-voice-changes", env={"OPENAI_API_KEY": FAKE_KEY, "OPENAI_BASE_URL": fake_realtime.base_url})
    try:
        ana = browsers(make_wav(tmp_path / "ana.wav", speech="Yesterday I finished the retransmission buffer."))
        ana.driver.get(host.invite)
        ana.wait(lambda d: d.find_element(By.NAME, "name"))
        assert_accessible(ana.driver, "the join form")
        assert_reachable_by_tab(ana.driver, "the join form")

        ana.join(host.invite, "Ana")
        bo = browsers(make_wav(tmp_path / "bo.wav"))
        bo.join(host.invite, "Bo")
        ana.wait(lambda _: "Bo" in ana.people(), message="Ana's page lists Bo")
        ana.wait(lambda d: "listening" in d.find_element(By.CSS_SELECTOR, '[data-testid="voice-status"]').text, 30, "the voice operator listens")
        said = "Delete the retransmission buffer card, it is done elsewhere."
        fake_realtime.send({"type": "input_audio_buffer.committed", "item_id": "item_1", "previous_item_id": None})
        fake_realtime.send({"type": "conversation.item.input_audio_transcription.completed", "item_id": "item_1", "content_index": 0, "transcript": said})
        arguments = json.dumps({"card_id": "card-002"})
        fake_realtime.send({"type": "response.output_item.done", "response_id": "resp_1", "item": {"type": "function_call", "call_id": "call_1", "name": "delete_ticket", "arguments": arguments}})
        ana.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "section.suggestions li"), message="the suggestion waits on the page")
        ana.wait(lambda d: said in d.find_element(By.CSS_SELECTOR, "section.transcript").text, message="the transcript shows")
        assert_accessible(ana.driver, "the room")
        assert_reachable_by_tab(ana.driver, "the room")

        ana.driver.find_element(By.CSS_SELECTOR, 'li[data-card-id="card-001"]').click()
        ana.wait(lambda d: d.find_element(By.CSS_SELECTOR, '[role="dialog"] input[name="title"]'))
        assert_accessible(ana.driver, "the card editor on the page")
        ActionChains(ana.driver).send_keys(Keys.ESCAPE).perform()
        ana.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, '[role="dialog"]'), message="Escape closes the editor")

        phone = browsers(make_wav(tmp_path / "cy.wav"), phone=True)
        phone.join(host.invite, "Cy")
        assert_accessible(phone.driver, "the room on a phone")
    finally:
        host.stop()


def test_the_window_passes_axe_and_works_from_the_keyboard(data_dir):
    window = Window(data_dir)
    try:
        window.wait_for_column("Backlog", ["card-001", "card-002", "card-003", "card-004", "card-005"])
        assert_accessible(window.driver, "the window")
        assert_reachable_by_tab(window.driver, "the window")

        for button in ("Voice settings", "Meeting notes", "Import and export", "Join a meeting…"):
            window.press(button)
            window.wait(lambda d: d.find_elements(By.CSS_SELECTOR, '[role="dialog"]'), message=f"{button} opens")
            assert_accessible(window.driver, f"the window's {button} dialog")
            ActionChains(window.driver).send_keys(Keys.ESCAPE).perform()
            window.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, '[role="dialog"]'), message=f"Escape closes {button}")

        window.card("card-001").click()
        window.wait(lambda d: d.find_element(By.CSS_SELECTOR, '[role="dialog"] input[name="title"]'))
        assert_accessible(window.driver, "the window's card editor")
        ActionChains(window.driver).send_keys(Keys.ESCAPE).perform()
        window.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, '[role="dialog"]'), message="Escape closes the editor")

        window.press("Start room")
        window.wait(lambda d: d.find_element(By.CSS_SELECTOR, ".invite-link").get_attribute("value"), message="the invite link shows")
        assert_accessible(window.driver, "the window hosting a room")
        assert_reachable_by_tab(window.driver, "the window hosting a room")
    finally:
        window.quit()
